/** Types of scripts/build.mjs (plain JavaScript, run by Node without tsx). */
export declare const ROOT: string;
export declare const SERVER_DIST: string;
export declare const ENTRIES: Record<string, string>;
export declare function fingerprint(inputs: string[]): string;
export declare function outdated(): { server: boolean; web: boolean };
export declare function canBuild(): boolean;
export declare function buildServer(outdir?: string): Promise<void>;
export declare function buildWeb(): Promise<void>;
export declare function buildOutdated(options?: {
  force?: boolean;
  log?: (line: string) => void;
}): Promise<string[]>;

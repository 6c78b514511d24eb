/**
 * The API token of this browser, for servers with access control on (AUTH_MODE=token).
 *
 * The token is kept in localStorage and sent by the API client as `Authorization: Bearer`.
 * When the server answers 401, the client asks this store for a token: the token dialog (mounted
 * once in the app) shows, and every request waiting on it is retried once the operator has
 * entered one — or fails with the 401 if they cancel. Without a mounted dialog nothing is asked
 * and the 401 is the answer.
 */
import type { ApiError } from './client';

export const TOKEN_STORAGE_KEY = 'tag-manager.api-token';

export interface TokenPrompt {
  /** `missing`: the server wants a token and none is stored; `rejected`: the one sent was refused. */
  reason: 'missing' | 'rejected';
  /** The server's explanation ("This API token has been revoked"). */
  message: string;
}

export interface AuthState {
  token: string | null;
  prompt: TokenPrompt | null;
}

/** What the API client needs from the store. */
export interface ApiAuth {
  getToken(): string | null;
  /** After a 401: resolves true when there is a (new) token to retry with. */
  requestToken(error: ApiError, sentToken: string | null): Promise<boolean>;
}

function browserStorage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined; // storage disabled by the browser's privacy settings
  }
}

export function createAuthStore(storage: Storage | undefined = browserStorage()) {
  const read = () => {
    try {
      return storage?.getItem(TOKEN_STORAGE_KEY) || null;
    } catch {
      return null;
    }
  };
  let state: AuthState = { token: read(), prompt: null };
  let waiting: ((retry: boolean) => void)[] = [];
  let hosts = 0;
  const listeners = new Set<() => void>();

  const update = (change: Partial<AuthState>) => {
    state = { ...state, ...change };
    for (const listener of listeners) listener();
  };
  const persist = (token: string | null) => {
    try {
      if (token) storage?.setItem(TOKEN_STORAGE_KEY, token);
      else storage?.removeItem(TOKEN_STORAGE_KEY);
    } catch {
      // Kept for this page only when the browser refuses storage.
    }
  };
  const settle = (retry: boolean) => {
    const resolvers = waiting;
    waiting = [];
    for (const resolve of resolvers) resolve(retry);
  };

  return {
    getState: (): AuthState => state,
    getToken: () => state.token,
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    /** The token dialog registers itself; without it, a 401 is not turned into a question. */
    attachPrompt() {
      hosts += 1;
      return () => {
        hosts -= 1;
        if (hosts === 0) {
          settle(false);
          update({ prompt: null });
        }
      };
    },

    requestToken(error: ApiError, sentToken: string | null): Promise<boolean> {
      // Another request already brought a new token while this one was on its way: retry.
      if (state.token !== sentToken && state.token !== null) return Promise.resolve(true);
      const reason = error.details.reason;
      if (sentToken !== null && (reason === 'invalid_token' || reason === 'revoked_token')) {
        // It will never work again: forget it, so the header stops offering "Sign out".
        persist(null);
        update({ token: null });
      }
      if (hosts === 0) return Promise.resolve(false);
      if (!state.prompt) {
        update({
          prompt: { reason: sentToken === null ? 'missing' : 'rejected', message: error.message },
        });
      }
      return new Promise((resolve) => waiting.push(resolve));
    },

    /** The operator entered a token: keep it and retry what was waiting. */
    submit(token: string) {
      const trimmed = token.trim();
      persist(trimmed);
      update({ token: trimmed, prompt: null });
      settle(true);
    },

    /** The operator closed the dialog: what was waiting fails with its 401. */
    cancel() {
      update({ prompt: null });
      settle(false);
    },

    /** Sign out: forget the token in this browser. */
    clearToken() {
      persist(null);
      update({ token: null });
    },
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;

export const authStore = createAuthStore();

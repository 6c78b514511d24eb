/**
 * The sample catalog's pictures: a small set of SVGs generated here and served by the app at
 * /sample-images/{n}.svg, so the sample products show a picture without any request leaving the
 * app (no external host, nothing for the Content-Security-Policy to allow). Each is a plain
 * drawing: no script, no link, no external reference, no text that could need a font.
 */

export const SAMPLE_IMAGE_COUNT = 12;

export const sampleImagePath = (number: number) => `/sample-images/${number}.svg`;

/** Background and ink of each picture (WCAG-friendly pairs; the shapes need no contrast). */
const PALETTES: readonly [string, string][] = [
  ['#e3f2fd', '#1565c0'],
  ['#e8f5e9', '#2e7d32'],
  ['#fff3e0', '#ef6c00'],
  ['#fce4ec', '#ad1457'],
  ['#ede7f6', '#4527a0'],
  ['#e0f7fa', '#00838f'],
];

/** Product silhouettes of the sample trade: a cartridge, a bucket, a roll, a bag. */
const SHAPES: readonly ((ink: string) => string)[] = [
  (ink) =>
    `<rect x="26" y="18" width="28" height="44" rx="4" fill="${ink}"/><path d="M34 8h12l-2 10h-8z" fill="${ink}"/><rect x="26" y="62" width="28" height="6" fill="${ink}" opacity=".6"/>`,
  (ink) =>
    `<path d="M20 26h40l-4 40H24z" fill="${ink}"/><rect x="18" y="20" width="44" height="8" rx="2" fill="${ink}" opacity=".7"/><path d="M26 20c0-10 28-10 28 0" stroke="${ink}" stroke-width="3" fill="none"/>`,
  (ink) =>
    `<circle cx="40" cy="40" r="24" fill="${ink}"/><circle cx="40" cy="40" r="9" fill="#fff" opacity=".9"/>`,
  (ink) =>
    `<path d="M22 20h36l4 46H18z" fill="${ink}"/><path d="M22 20l6-8h24l6 8z" fill="${ink}" opacity=".6"/><rect x="30" y="34" width="20" height="14" rx="2" fill="#fff" opacity=".85"/>`,
];

/** The SVG of picture `number` (1..SAMPLE_IMAGE_COUNT), or undefined for any other number. */
export function sampleImageSvg(number: number): string | undefined {
  if (!Number.isInteger(number) || number < 1 || number > SAMPLE_IMAGE_COUNT) return undefined;
  const [background, ink] = PALETTES[(number - 1) % PALETTES.length]!;
  const shape = SHAPES[Math.floor((number - 1) / PALETTES.length + (number - 1)) % SHAPES.length]!;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 80" width="80" height="80" role="img" aria-label="Sample product picture ${number}">` +
    `<rect width="80" height="80" rx="8" fill="${background}"/>${shape(ink)}</svg>`
  );
}

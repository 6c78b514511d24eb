/**
 * Inputs with a maximum length. The `maxlength` attribute stops typing at the limit, but it
 * also cuts a longer paste without a word; these helpers let a paste in whole so the inline
 * error can say what is too long, and count characters as the server does (code points).
 */
import type { ClipboardEvent } from 'react';

export const characterCount = (value: string) => [...value].length;

/** "… can be at most 100 characters (this one has 150)", or null within the limit. */
export function tooLongMessage(what: string, value: string, max: number): string | null {
  const count = characterCount(value.trim());
  return count > max ? `${what} can be at most ${max} characters (this one has ${count}).` : null;
}

/**
 * onPaste for an input with `maxLength`: a paste that would pass the limit is put in whole
 * (setValue) instead of being cut by the browser; a paste within the limit is left alone.
 */
export function pasteWhole(
  event: ClipboardEvent<HTMLInputElement>,
  max: number,
  setValue: (value: string) => void,
) {
  const input = event.currentTarget;
  const text = event.clipboardData?.getData('text') ?? '';
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  const next = input.value.slice(0, start) + text + input.value.slice(end);
  if (next.length <= max) return; // the attribute counts UTF-16 units
  event.preventDefault();
  setValue(next);
}

/** `text` matched literally inside a LIKE pattern written with `ESCAPE '\'` (both engines). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A readable language name for a subtitle code ("en" → "English"), falling back to the code. */
export function languageName(code: string): string {
  try {
    const names = new Intl.DisplayNames([navigator.language || 'en'], { type: 'language' });
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}

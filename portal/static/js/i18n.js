// The page's words: the catalogue areas its page declared, embedded as JSON data by the portal.
const words = JSON.parse(document.getElementById("sv-words")?.textContent || "{}");

/** The text of `key`, its {placeholders} filled from `values`. A missing key shows itself. */
export function t(key, values = {}) {
  const text = words[key];
  if (text === undefined) {
    console.error(`missing word: ${key}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** Whether the catalogue has `key` (e.g. to translate a code when a word exists for it). */
export function has(key) {
  return key in words;
}

// Dates and amounts the French way.
const dateFormat = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long" });
const dateTimeFormat = new Intl.DateTimeFormat("fr-FR", { dateStyle: "medium", timeStyle: "short" });
const euroFormat = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });

export function date(value) {
  if (!value) return "—";
  const parsed = new Date(value.length === 10 ? `${value}T12:00:00` : value);
  return Number.isNaN(parsed.getTime()) ? String(value) : dateFormat.format(parsed);
}

export function dateTime(value) {
  if (!value) return "—";
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? String(value) : dateTimeFormat.format(parsed);
}

/** Euros from a number of euros (e.g. 89.5) or of cents when `cents` is true. */
export function euros(value, { cents = false } = {}) {
  if (value === null || value === undefined || value === "") return "—";
  return euroFormat.format(cents ? Number(value) / 100 : Number(value));
}

// How a point of sale's pages name a device, a payment, a status: in the catalogue's words.
import { ApiError } from "/portal/static/js/api.js";
import { el, show } from "/portal/static/js/dom.js";
import { date, euros } from "/portal/static/js/format.js";
import { has, t } from "/portal/static/js/i18n.js";

const AREA = "point_of_sale";

/** The catalogue's word for a code (`point_of_sale.<group>.<code>`), or the code itself. */
export function word(group, code) {
  if (code === null || code === undefined || code === "") return t(`${AREA}.sale.none`);
  const key = `${AREA}.${group}.${code}`;
  return has(key) ? t(key) : String(code);
}

export function deviceLine(item) {
  if (!item.device_type && !item.grade) return t(`${AREA}.sale.none`);
  return t(`${AREA}.device_line`, { type: word("device_types", item.device_type), grade: item.grade ?? "—" });
}

/** A <dl class="facts"> from [label, value] pairs (a value may be a node or a list of nodes). */
export function facts(pairs) {
  return el("dl", { class: "facts" },
    pairs.flatMap(([label, value]) => [el("dt", {}, label), el("dd", {}, value)]));
}

export function quoteFacts(quote) {
  return facts([
    [t(`${AREA}.quote.label_code`), quote.label_code || t(`${AREA}.sale.none`)],
    [t(`${AREA}.quote.device`), deviceLine(quote)],
    [t(`${AREA}.quote.price`), euros(quote.price_eur)],
    [t(`${AREA}.quote.reserved_until`), date(quote.reserved_until)],
  ]);
}

export function statusChip(status) {
  return el("span", { class: `status status-${status}` }, word("statuses", status));
}

/** Euro amounts in cents, from what a person typed ("52,5", "52.50 €"); NaN if it is no amount. */
export function cents(typed) {
  const text = String(typed ?? "").replace(/\s|€/g, "").replace(",", ".");
  if (!/^\d+(\.\d{1,2})?$/.test(text)) return Number.NaN;
  return Math.round(Number(text) * 100);
}

/** A refusal shown in the form's alert region, focused so that it is read out (as forms.js does). */
export function refuseIn(form, text) {
  const region = form.querySelector('[role="alert"]');
  const message = el("p", { tabindex: "-1" }, text);
  show(region, message);
  message.focus();
}

/** A 422 as the API would send it, for a problem the page sees before asking (a field left empty). */
export function missing(field, message) {
  return new ApiError(422, { detail: [{ loc: ["body", field], msg: message, type: "missing" }] });
}

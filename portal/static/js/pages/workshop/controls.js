// Form controls for the work-order page, built with their labels, hints and names so that the
// shared form code reads them into the route's JSON body and shows a 422 next to them.
import { el } from "/portal/static/js/dom.js";
import { t } from "/portal/static/js/i18n.js";

let made = 0;
function uniqueId(name) {
  made += 1;
  return `wo-${name.replace(/\W+/g, "-")}-${made}`;
}

function hintOf(id, hint) {
  return hint ? el("p", { class: "hint", id: `${id}-hint` }, hint) : null;
}

/** A labelled input. `dataType`: "integer" | "number" | "boolean" (forms.js), else text. */
export function inputField({ name, label, hint, type = "text", dataType, value, required, inputmode, autocomplete }) {
  const id = uniqueId(name);
  return el("div", { class: "field" },
    el("label", { for: id }, label),
    hintOf(id, hint),
    el("input", {
      id, name, type, value, required, inputmode, autocomplete: autocomplete || "off",
      "data-type": dataType, "aria-describedby": hint ? `${id}-hint` : null,
    }));
}

export function textArea({ name, label, hint }) {
  const id = uniqueId(name);
  return el("div", { class: "field" },
    el("label", { for: id }, label),
    hintOf(id, hint),
    el("textarea", { id, name, rows: "3", maxlength: "2000", "aria-describedby": hint ? `${id}-hint` : null }));
}

/** A select; `options` are [value, text] pairs; `placeholder` adds an empty first choice. */
export function selectField({ name, label, hint, options, value, placeholder, required }) {
  const id = uniqueId(name);
  const select = el("select", { id, name, required, "aria-describedby": hint ? `${id}-hint` : null },
    placeholder ? el("option", { value: "" }, placeholder) : null,
    options.map(([optionValue, text]) => el("option", { value: optionValue, selected: optionValue === value }, text)));
  return el("div", { class: "field" }, el("label", { for: id }, label), hintOf(id, hint), select);
}

/** Radio buttons in a fieldset whose legend names the choice. */
export function radioGroup({ name, legend, options, checked, dataType, hint }) {
  const groupId = uniqueId(name);
  return el("fieldset", { class: "choices", "aria-describedby": hint ? `${groupId}-hint` : null },
    el("legend", {}, legend),
    hintOf(groupId, hint),
    options.map(([value, text]) => {
      const id = uniqueId(`${name}-${value || "none"}`);
      return el("div", { class: "choice" },
        el("input", { type: "radio", id, name, value, checked: value === checked, "data-type": dataType }),
        el("label", { for: id }, text));
    }));
}

/** A checkbox; without a name it is read by the step's own code. */
export function checkbox({ name, label, checked, dataType, value, data }) {
  const id = uniqueId(name || "check");
  return el("div", { class: "choice" },
    el("input", { type: "checkbox", id, name, value, checked, "data-type": dataType, dataset: data }),
    el("label", { for: id }, label));
}

/**
 * A list of rows the person adds and removes (drives, parts): each row a fieldset named
 * `<list>.<n>.<field>`, renumbered when one is removed so that a 422's location finds its field.
 */
export function repeatable({ list, legend, hint, addLabel, rowLegend, removeLabel, makeRow, initial = [] }) {
  const rows = el("div", { class: "rows" });
  const container = el("fieldset", { class: "repeatable" }, el("legend", {}, legend),
    hint ? el("p", { class: "hint" }, hint) : null, rows);

  function renumber() {
    [...rows.children].forEach((row, index) => {
      row.querySelector("legend").textContent = rowLegend(index + 1);
      row.querySelector("button.remove").textContent = removeLabel(index + 1);
      for (const control of row.querySelectorAll("[name]")) {
        control.name = control.name.replace(new RegExp(`^${list}\\.\\d+`), `${list}.${index}`);
      }
    });
  }

  function add(values = {}) {
    const index = rows.children.length;
    const remove = el("button", { type: "button", class: "button-secondary remove" });
    const row = el("fieldset", { class: "row" }, el("legend", {}), makeRow(`${list}.${index}`, values),
      el("div", { class: "actions" }, remove));
    remove.addEventListener("click", () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber();
      (next?.querySelector("input, select") || addButton).focus();
    });
    rows.append(row);
    renumber();
    return row;
  }

  const addButton = el("button", { type: "button", class: "button-secondary" }, addLabel);
  addButton.addEventListener("click", () => add().querySelector("input, select")?.focus());
  container.append(el("div", { class: "actions" }, addButton));
  initial.forEach((values) => add(values));
  return container;
}

/** The choices of an enum from the catalogue: [value, t(prefix.value)]. */
export function choicesOf(prefix, values) {
  return values.map((value) => [value, t(`${prefix}.${value}`)]);
}

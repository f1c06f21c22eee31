// Forms: read into the JSON a route expects, the API's refusals shown where they belong (a
// 422's problems next to the fields they name, anything else in the form's alert region), and
// what was typed kept in this tab (`data-draft`) until the route accepts it.
import { ApiError } from "/portal/static/js/api.js";
import { append, clear, el, show } from "/portal/static/js/dom.js";
import { has, t } from "/portal/static/js/i18n.js";
import { DRAFTS } from "/portal/static/js/session.js";

/** A French sentence for a refusal that is not about one field. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return t("common.errors.unexpected", { status: error?.message || "?" });
  if (error.status === 409) return t("common.errors.conflict", { message: error.message });
  if (error.status === 422) return t("common.errors.invalid", { message: error.message });
  if (error.status === 403) return t("common.errors.forbidden");
  if (error.status === 404) return t("common.errors.not_found");
  if (error.status === 0 || error.status >= 500) return t("common.errors.unavailable");
  return t("common.errors.unexpected", { status: error.status });
}

function setPath(target, path, value) {
  const parts = path.split(".");
  let node = target;
  parts.forEach((part, index) => {
    const last = index === parts.length - 1;
    const nextIsIndex = !last && /^\d+$/.test(parts[index + 1]);
    const key = /^\d+$/.test(part) ? Number(part) : part;
    if (last) node[key] = value;
    else node = node[key] ?? (node[key] = nextIsIndex ? [] : {});
  });
}

function typed(input) {
  const raw = input.value.trim();
  switch (input.dataset.type) {
    case "number": return raw === "" ? undefined : Number(raw.replace(",", "."));
    case "integer": return raw === "" ? undefined : Number.parseInt(raw, 10);
    case "boolean": return input.type === "checkbox" ? input.checked : raw === "true";
    default: return raw === "" ? undefined : raw;
  }
}

/** The form's values as the route's JSON body: dotted names nest ("payments.0.amount"). */
export function readForm(form) {
  const values = {};
  const lists = new Map();
  for (const input of form.elements) {
    if (!input.name || input.disabled || input.type === "submit" || input.type === "button") continue;
    if (input.dataset.type === "list") {
      if (!lists.has(input.name)) lists.set(input.name, []);
      if (input.checked) lists.get(input.name).push(input.value);
      continue;
    }
    if (input.type === "radio") {
      if (input.checked) setPath(values, input.name, typed(input));
      continue;
    }
    if (input.type === "checkbox" && input.dataset.type !== "boolean") {
      if (input.checked) setPath(values, input.name, input.value);
      continue;
    }
    const value = typed(input);
    if (value !== undefined) setPath(values, input.name, value);
  }
  for (const [name, chosen] of lists) setPath(values, name, chosen);
  return values;
}

function fieldContainer(form, name) {
  const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!control) return null;
  return { control, box: control.closest("fieldset, .field") || control.parentElement };
}

function labelOf(form, name, control) {
  const box = control.closest("fieldset");
  const legend = box && box.querySelector("legend");
  if (legend && control.type !== "text") return legend.textContent.trim();
  const label = control.id && form.querySelector(`label[for="${CSS.escape(control.id)}"]`);
  return label ? label.textContent.trim() : name;
}

function problemText(problem) {
  const key = `common.validation.${problem.type}`;
  return has(key) ? t(key, { message: problem.msg }) : problem.msg;
}

function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error")) node.remove();
  for (const node of form.querySelectorAll("[aria-invalid]")) {
    node.removeAttribute("aria-invalid");
    const described = (node.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.endsWith("-error"));
    if (described.length) node.setAttribute("aria-describedby", described.join(" "));
    else node.removeAttribute("aria-describedby");
  }
  clear(alertRegion(form));
}

function alertRegion(form) {
  let region = form.querySelector('[role="alert"]');
  if (!region) {
    region = el("div", { role: "alert", class: "form-alert" });
    form.prepend(region);
  }
  return region;
}

/** Shows a 422's problems next to their fields and a summary with links at the top. */
export function showProblems(form, problems) {
  clearErrors(form);
  const summary = [];
  for (const problem of problems) {
    const loc = (problem.loc || []).filter((part, index) => !(index === 0 && ["body", "query", "path"].includes(part)));
    const name = loc.join(".");
    const found = fieldContainer(form, name) || fieldContainer(form, String(loc[0] ?? ""));
    const text = problemText(problem);
    if (found) {
      const errorId = `${found.control.id || name.replace(/\W/g, "-")}-error`;
      if (!document.getElementById(errorId)) {
        const message = el("p", { class: "field-error", id: errorId }, text);
        const legendOrLabel = found.box.querySelector("legend, label");
        if (legendOrLabel && legendOrLabel.nextSibling) legendOrLabel.after(message);
        else found.box.prepend(message);
      }
      for (const control of form.querySelectorAll(`[name="${CSS.escape(found.control.name)}"]`)) {
        control.setAttribute("aria-invalid", "true");
        const described = control.getAttribute("aria-describedby");
        control.setAttribute("aria-describedby", described ? `${described} ${errorId}` : errorId);
      }
      const target = found.control.id ? `#${found.control.id}` : null;
      const label = labelOf(form, name, found.control);
      summary.push(target ? el("a", { href: target }, t("common.errors.field", { field: label, message: text }))
        : t("common.errors.field", { field: label, message: text }));
    } else {
      summary.push(t("common.errors.field", { field: name || "—", message: text }));
    }
  }
  const region = alertRegion(form);
  const heading = el("p", { tabindex: "-1" }, t("common.errors.summary", { n: problems.length }));
  show(region, heading, el("ul", {}, summary.map((item) => el("li", {}, item))));
  heading.focus();
}

/** Shows a refusal that is not about one field (409, 403, 404, the network…) in the form. */
export function showRefusal(form, error) {
  clearErrors(form);
  const region = alertRegion(form);
  const message = el("p", { tabindex: "-1" }, describeError(error));
  show(region, message);
  message.focus();
}

function draftKey(form) {
  return `${DRAFTS}${form.dataset.draft}:${location.pathname}`;
}

function saveDraft(form) {
  const entries = [];
  for (const input of form.elements) {
    if (!input.name || input.type === "password" || input.type === "submit") continue;
    entries.push([input.name, input.type === "checkbox" || input.type === "radio" ? input.checked : input.value,
      input.value]);
  }
  sessionStorage.setItem(draftKey(form), JSON.stringify(entries));
}

function restoreDraft(form) {
  const saved = sessionStorage.getItem(draftKey(form));
  if (!saved) return;
  for (const [name, state, value] of JSON.parse(saved)) {
    for (const input of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.value === value) input.checked = state;
      } else {
        input.value = state;
      }
    }
  }
}

/**
 * Binds `submit(values)` to the form. Resolving: done (drafts dropped); an ApiError: shown.
 * Options: `read(form)` to build the body another way.
 */
export function bindForm(form, submit, { read = readForm } = {}) {
  // A field's error goes once the person changes the field (the summary stays until the next try).
  form.addEventListener("input", (event) => {
    const control = event.target;
    if (!control.name || control.getAttribute("aria-invalid") !== "true") return;
    for (const sibling of form.querySelectorAll(`[name="${CSS.escape(control.name)}"]`)) {
      sibling.removeAttribute("aria-invalid");
      const described = (sibling.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.endsWith("-error"));
      if (described.length) sibling.setAttribute("aria-describedby", described.join(" "));
      else sibling.removeAttribute("aria-describedby");
    }
    control.closest("fieldset, .field")?.querySelector(".field-error")?.remove();
  });
  if (form.dataset.draft) {
    restoreDraft(form);
    form.addEventListener("input", () => saveDraft(form));
    form.addEventListener("change", () => saveDraft(form));
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll('button[type="submit"], button:not([type])');
    buttons.forEach((button) => { button.disabled = true; });
    form.setAttribute("aria-busy", "true");
    try {
      clearErrors(form);
      await submit(read(form));
      if (form.dataset.draft) sessionStorage.removeItem(draftKey(form));
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && Array.isArray(error.body.detail) && error.body.detail.length) {
        showProblems(form, error.body.detail);
      } else {
        showRefusal(form, error);
      }
    } finally {
      buttons.forEach((button) => { button.disabled = false; });
      form.removeAttribute("aria-busy");
    }
  });
}

export { append };

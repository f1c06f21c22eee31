// People's accounts: open one (its temporary password shown once, here only), list them, disable
// or enable one, give one a new temporary password. The routes are /access/people (admin only).
import { ApiError, api } from "/portal/static/js/api.js";
import { el, notify, show } from "/portal/static/js/dom.js";
import { bindForm, describeError } from "/portal/static/js/forms.js";
import { dateTime } from "/portal/static/js/format.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";

const PAGE_SIZE = 50;
let nextCursor = null;

/** The temporary password, shown once in its own notice; it is in no list and no draft. */
function showTemporaryPassword(person, key) {
  const box = document.getElementById("temporary-password");
  show(box,
    el("p", {}, t(key, { email: person.email })),
    el("p", {}, el("code", { class: "temporary-password" }, person.temporary_password)),
    el("p", {}, t("admin.people.password.give")));
  box.hidden = false;
  box.focus();
}

function statusOf(person) {
  const status = t(`admin.people.status.${person.status}`);
  return person.password_status === "temporary" ? `${status} · ${t("admin.people.status.temporary")}` : status;
}

function actionButton(label, person, action) {
  return el("button", {
    type: "button", class: "button-secondary",
    "aria-label": t(`${label}_for`, { email: person.email }),
    on: { click: (event) => act(event.currentTarget, person, action) },
  }, t(label));
}

async function act(button, person, action) {
  button.disabled = true;
  try {
    const changed = await api.post(`/access/people/${encodeURIComponent(person.username)}/${action}`);
    if (action === "password-reset") showTemporaryPassword(changed, "admin.people.password.reset");
    else notify(t(`admin.people.done.${action}`, { email: changed.email }), "success");
    await reload();
  } catch (error) {
    notify(describeError(error), "error");
    button.disabled = false;
  }
}

function row(person) {
  const toggle = person.status === "active"
    ? actionButton("admin.people.actions.disable", person, "disable")
    : actionButton("admin.people.actions.enable", person, "enable");
  return el("tr", { dataset: { username: person.username } },
    el("td", {}, person.email),
    el("td", {}, person.role ? t(`common.roles.${person.role}`) : "—"),
    el("td", {}, person.partner_id, person.territory ? ` (${person.territory})` : ""),
    el("td", {}, el("span", { class: "status" }, statusOf(person)),
      el("br"), el("span", { class: "hint" }, t("admin.people.list.created", { when: dateTime(person.created_at) }))),
    el("td", {}, el("div", { class: "actions" }, toggle,
      actionButton("admin.people.actions.reset", person, "password-reset"))));
}

async function loadPage(cursor) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) query.set("cursor", cursor);
  const page = await api.get(`/access/people?${query}`);
  nextCursor = page.next_cursor;
  return page;
}

function showCount(shown, total) {
  const count = document.getElementById("people-count");
  count.textContent = total ? t("common.paging.count", { shown, total }) : t("common.paging.none");
  document.getElementById("people-more").hidden = !nextCursor;
}

async function reload() {
  const page = await loadPage(null);
  show(document.getElementById("people-rows"), page.items.map(row));
  showCount(page.items.length, page.total);
}

startPage(async () => {
  const form = document.getElementById("person-form");
  bindForm(form, async (values) => {
    let created;
    try {
      created = await api.post("/access/people", { territory: "", ...values });
    } catch (error) {
      // The e-mail has an account already: said next to the e-mail field, in French.
      if (error instanceof ApiError && error.status === 409) {
        throw new ApiError(422, { detail: [{ loc: ["body", "email"], msg: t("admin.people.form.email.exists"), type: "exists" }] });
      }
      throw error;
    }
    form.reset();
    showTemporaryPassword(created, "admin.people.password.created");
    await reload();
  });
  document.getElementById("people-more").addEventListener("click", async () => {
    const page = await loadPage(nextCursor);
    const rows = document.getElementById("people-rows");
    rows.append(...page.items.map(row));
    showCount(rows.children.length, page.total);
  });
  await reload();
});

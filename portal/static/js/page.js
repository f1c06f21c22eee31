// Every page's start: who is logged in, whether the page is for their role, the menu of their
// role, logout. A page's script calls `startPage(async ({person, params, main}) => …)`.
import { el, notify, show } from "/portal/static/js/dom.js";
import { describeError } from "/portal/static/js/forms.js";
import { t } from "/portal/static/js/i18n.js";
import { currentPerson, logOut, loginUrl } from "/portal/static/js/session.js";

function menu(person) {
  const entries = JSON.parse(document.getElementById("sv-menu")?.textContent || "[]");
  const links = document.getElementById("sv-nav-links");
  const mine = entries.filter((entry) => entry.roles.includes(person.role));
  show(links, mine.map((entry) => el("li", {}, el("a", {
    href: entry.href, "aria-current": entry.href === location.pathname ? "page" : null,
  }, t(entry.label)))));
  document.getElementById("sv-nav").hidden = mine.length === 0;
}

function sessionBar(person) {
  show(document.getElementById("sv-session-person"), t("common.logged_in_as", { email: person.email }));
  document.getElementById("sv-session").hidden = false;
  document.getElementById("sv-logout").addEventListener("click", async () => {
    await logOut();
    location.replace("/portal/connexion?raison=deconnexion");
  });
}

function refuse(main, person, roles) {
  const content = document.getElementById("page-content");
  content.hidden = true;
  document.getElementById("page-title").textContent = t("common.refused.title");
  document.title = `${t("common.refused.title")} — ${t("common.site.name")}`;
  const names = roles.map((role) => t(`common.roles.${role}`)).join(", ");
  main.append(el("div", { class: "notice-error", id: "access-refused" },
    el("p", {}, t("common.refused.text", { roles: names, role: t(`common.roles.${person.role}`) })),
    el("p", {}, el("a", { href: "/portal" }, t("common.refused.home")))));
}

/** The page's parameters, from its <main data-*> attributes (e.g. data-referral-id → referralId). */
function parameters(main) {
  const { roles, ...params } = main.dataset;
  return params;
}

/**
 * Runs `render` once the person may see this page. Public pages (no roles) run it for anyone;
 * others send a person with no session to log in, and refuse a person of another role.
 */
export async function startPage(render) {
  const main = document.getElementById("main");
  const roles = (main.dataset.roles || "").split(" ").filter(Boolean);
  const person = currentPerson();
  if (person) {
    menu(person);
    sessionBar(person);
  }
  if (roles.length) {
    if (!person) {
      location.replace(loginUrl());
      return;
    }
    if (!roles.includes(person.role)) {
      refuse(main, person, roles);
      return;
    }
  }
  document.getElementById("page-content").hidden = false;
  try {
    await render({ person, params: parameters(main), main, content: document.getElementById("page-content") });
  } catch (error) {
    notify(describeError(error), "error");
  }
}

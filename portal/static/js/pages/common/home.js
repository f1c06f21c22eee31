import { el, show } from "/portal/static/js/dom.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";

startPage(async ({ person }) => {
  show(document.getElementById("home-welcome"),
    t("common.home.welcome", { role: t(`common.roles.${person.role}`), partner: person.partnerId }));
  const entries = JSON.parse(document.getElementById("sv-menu").textContent)
    .filter((entry) => entry.roles.includes(person.role) && entry.href !== "/portal");
  const list = document.getElementById("home-links");
  if (!entries.length) {
    list.replaceWith(el("p", {}, t("common.home.nothing")));
    return;
  }
  show(list, entries.map((entry) => el("li", {}, el("a", { href: entry.href }, t(entry.label)))));
});

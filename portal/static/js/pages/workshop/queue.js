// The workshop's queue: its work orders, one status or every open one, oldest first, a page at a
// time. The filter is kept in the address (?statut=) so that going back keeps it.
import { api } from "/portal/static/js/api.js";
import { append, el, notify, show } from "/portal/static/js/dom.js";
import { describeError } from "/portal/static/js/forms.js";
import { date } from "/portal/static/js/format.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";
import { workOrderHref } from "/portal/static/js/pages/workshop/links.js";

const CLOSED = new Set(["ready", "scrapped"]);
const PAGE_SIZE = 25;

/** Lines per page: 25, or the address's ?par_page= (1 to 200, as the route allows). */
function pageSize() {
  const asked = Number.parseInt(new URLSearchParams(location.search).get("par_page"), 10);
  return Number.isInteger(asked) && asked >= 1 && asked <= 200 ? asked : PAGE_SIZE;
}

function row(line) {
  const device = [line.make, line.model].filter(Boolean).join(" ") || line.serial_number || line.device_id;
  const status = [t(`workshop.status.${line.status}`)];
  if (line.kind === "warranty") status.push(` (${t("workshop.queue.warranty")})`);
  return el("tr", {},
    el("th", { scope: "row" }, el("a", { href: workOrderHref(line.device_id) }, device)),
    el("td", {}, line.label_code || t("workshop.queue.no_label")),
    el("td", {}, t(`workshop.device_type.${line.device_type}`)),
    el("td", {}, el("span", { class: "status", dataset: { status: line.status } }, ...status)),
    el("td", {}, date(line.opened_at)));
}

startPage(async ({ person }) => {
  const form = document.getElementById("queue-filter");
  const select = document.getElementById("queue-status");
  const rows = document.getElementById("queue-rows");
  const more = document.getElementById("queue-more");
  const queue = `/refurb/workshops/${encodeURIComponent(person.partnerId)}/queue`;
  let cursor = null;
  let latest = 0; // only the answer to the last request shows (a filter chosen while loading)

  async function load({ fresh }) {
    const status = select.value;
    const query = new URLSearchParams({ limit: String(pageSize()) });
    if (status) query.set("status", status);
    if (!fresh && cursor) query.set("cursor", cursor);
    const asked = ++latest;
    const page = await api.get(`${queue}?${query}`);
    if (asked !== latest) return page;
    if (fresh) show(rows);
    append(rows, page.items.map(row));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    const filter = status ? t(`workshop.status.${status}`) : t("workshop.queue.filter.open");
    const order = CLOSED.has(status) ? t("workshop.queue.order_closed") : t("workshop.queue.order_open");
    show(document.getElementById("queue-caption"), t("workshop.queue.caption", { filter: `${filter}, ${order}` }));
    const empty = rows.children.length === 0;
    document.getElementById("queue-empty").hidden = !empty;
    document.getElementById("queue-wrap").hidden = empty;
    show(document.getElementById("queue-total"),
      page.total === null || status ? "" : t("workshop.queue.total", { n: page.total }));
    return page;
  }

  select.value = new URLSearchParams(location.search).get("statut") || "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const address = new URL(location.href);
    if (select.value) address.searchParams.set("statut", select.value);
    else address.searchParams.delete("statut");
    history.replaceState(null, "", address);
    await load({ fresh: true }).catch((error) => notify(describeError(error), "error"));
  });
  more.addEventListener("click", async () => {
    const before = rows.children.length;
    await load({ fresh: false }).catch((error) => notify(describeError(error), "error"));
    rows.children[before]?.querySelector("a")?.focus(); // keyboard users continue where the new lines start
  });
  await load({ fresh: true });
});

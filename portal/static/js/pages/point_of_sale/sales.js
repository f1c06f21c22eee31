// "Mes ventes": the point of sale's sales, the newest first, a page at a time (GET /sales/sales).
import { api } from "/portal/static/js/api.js";
import { append, el } from "/portal/static/js/dom.js";
import { dateTime, euros } from "/portal/static/js/format.js";
import { startPage } from "/portal/static/js/page.js";
import { deviceLine, statusChip } from "./describe.js";

const PAGE_SIZE = 20;

function row(sale) {
  return el("tr", {},
    el("th", { scope: "row" }, el("a", { href: `/portal/point-de-vente/ventes/${encodeURIComponent(sale.sale_id)}` },
      sale.receipt_number)),
    el("td", {}, dateTime(sale.sold_at)),
    el("td", {}, deviceLine(sale), sale.label_code ? el("br") : null, sale.label_code || null),
    el("td", {}, euros(sale.price_eur)),
    el("td", {}, statusChip(sale.status)));
}

startPage(async () => {
  const table = document.getElementById("sales-table");
  const rows = document.getElementById("sales-rows");
  const more = document.getElementById("sales-more");
  let cursor = null;

  const load = async () => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor) query.set("cursor", cursor);
    const page = await api.get(`/sales/sales?${query}`);
    const first = rows.children.length;
    append(rows, page.items.map(row));
    table.hidden = rows.children.length === 0;
    document.getElementById("sales-empty").hidden = rows.children.length > 0;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    return rows.children[first];
  };

  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const firstNew = await load();
      firstNew?.querySelector("a")?.focus();
    } finally {
      more.disabled = false;
    }
  });
  await load();
});

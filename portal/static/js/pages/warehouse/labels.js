// The warehouse's lots and, for each, its sheet of labels to print (A4, 24 labels a page).
import { api } from "/portal/static/js/api.js";
import { el, notify, show } from "/portal/static/js/dom.js";
import { describeError } from "/portal/static/js/forms.js";
import { date } from "/portal/static/js/format.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";

const labelsOf = (lotId) => `/intake/lots/${encodeURIComponent(lotId)}/documents/labels`;

function refusal(error) {
  // 409: the lot has no device received yet, so no label exists to print.
  return error.status === 409 ? t("warehouse.labels.nothing_to_print") : describeError(error);
}

async function download(lotId, part, button) {
  button.disabled = true;
  try {
    await api.download(`${labelsOf(lotId)}?format=pdf&part=${part}`, t("warehouse.labels.filename", { lot: lotId, part }));
    notify(t("warehouse.labels.downloaded"), "success");
  } catch (error) {
    notify(refusal(error), "error");
  } finally {
    button.disabled = false;
  }
}

/** One button for a lot's sheet; a lot of more than one part (480 labels a part) gets one button a part. */
function sheetButtons(lot, cellId) {
  const cell = el("div", { class: "actions labels-actions" });
  const first = el("button", { type: "button", class: "button", "aria-describedby": cellId },
    t("warehouse.labels.download"));
  first.addEventListener("click", async () => {
    first.disabled = true;
    let sheet;
    try {
      sheet = await api.get(labelsOf(lot.lot_id));
    } catch (error) {
      first.disabled = false;
      notify(refusal(error), "error");
      return;
    }
    if (sheet.parts === 1) {
      await download(lot.lot_id, 1, first);
      return;
    }
    const parts = Array.from({ length: sheet.parts }, (_, index) => {
      const part = index + 1;
      const button = el("button", { type: "button", class: "button-secondary", "aria-describedby": cellId },
        t("warehouse.labels.part", { part, parts: sheet.parts }));
      button.addEventListener("click", () => download(lot.lot_id, part, button));
      return button;
    });
    show(cell, el("p", { class: "hint" }, t("warehouse.labels.parts", { count: sheet.label_count, parts: sheet.parts })),
      ...parts);
    parts[0].focus();
  });
  return show(cell, first);
}

function row(lot) {
  const cellId = `lot-${lot.lot_id}`;
  return el("tr", {},
    el("th", { scope: "row", id: cellId },
      el("span", {}, lot.pickup_site), el("br"), el("span", { class: "hint lot-id" }, lot.lot_id)),
    el("td", {}, lot.donor_id),
    el("td", {}, date(lot.declared_at)),
    el("td", {}, el("span", { class: "status" }, t(`warehouse.lot_status.${lot.status}`))),
    el("td", {}, sheetButtons(lot, cellId)));
}

startPage(async () => {
  const rows = document.getElementById("lots-rows");
  const more = document.getElementById("lots-more");
  let cursor = null;
  let shown = 0;

  async function nextPage() {
    const page = await api.get(`/intake/lots${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
    rows.append(...page.items.map(row));
    shown += page.items.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }

  more.addEventListener("click", () => nextPage().catch((error) => notify(describeError(error), "error")));
  try {
    await nextPage();
  } finally {
    document.getElementById("lots-loading").remove();
  }
  document.getElementById("lots-wrap").hidden = shown === 0;
  document.getElementById("lots-none").hidden = shown > 0;
});

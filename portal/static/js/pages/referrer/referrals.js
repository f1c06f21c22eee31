// "Mes orientations": the person's partner's referrals, newest first, page after page, by status.
import { api } from "/portal/static/js/api.js";
import { append, clear, el, show } from "/portal/static/js/dom.js";
import { date } from "/portal/static/js/format.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";
import { collectAt, deviceType, grade, statusBadge, whyThisDevice } from "/portal/static/js/pages/referrer/explain.js";

const PAGE_SIZE = 20;

function entry(referral) {
  const reference = referral.beneficiary_ref || t("referrer.list.forgotten");
  const headingId = `referral-${referral.referral_id}`;
  const facts = el("dl", { class: "facts" },
    el("dt", {}, t("referrer.referral.status")), el("dd", {}, statusBadge(referral.status)),
    el("dt", {}, t("referrer.referral.created")), el("dd", {}, date(referral.created_at)));
  const reservation = referral.reservation;
  const item = el("li", { class: "card" },
    el("h2", { id: headingId }, el("a", { href: `/portal/orientations/${encodeURIComponent(referral.referral_id)}` },
      reference)),
    facts);
  if (reservation && reservation.status !== "released") {
    append(facts,
      el("dt", {}, t("referrer.reservation.device")),
      el("dd", {}, `${deviceType(reservation.device.device_type)} — ${t("referrer.reservation.grade")} ${grade(reservation.device.grade)}`),
      el("dt", {}, t("referrer.reservation.collect")), el("dd", {}, collectAt(reservation.collect_at)));
    append(item, el("details", {}, el("summary", {}, t("referrer.reservation.why")), ...whyThisDevice(reservation.matching)));
  }
  return item;
}

startPage(async () => {
  const form = document.getElementById("filter-form");
  const select = document.getElementById("status-filter");
  const list = document.getElementById("referrals");
  const count = document.getElementById("referrals-count");
  const more = document.getElementById("more");
  let cursor = null;
  let shown = 0;

  async function load({ fresh }) {
    if (fresh) {
      clear(list);
      cursor = null;
      shown = 0;
    }
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (select.value) query.set("status", select.value);
    if (cursor) query.set("cursor", cursor);
    list.setAttribute("aria-busy", "true");
    try {
      const page = await api.get(`/allocation/referrals?${query}`);
      append(list, page.items.map(entry));
      shown += page.items.length;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      show(count, shown ? t("referrer.list.shown", { n: shown })
        : t(select.value ? "referrer.list.empty_status" : "referrer.list.empty"));
    } finally {
      list.removeAttribute("aria-busy");
    }
  }

  const wanted = new URLSearchParams(location.search).get("statut");
  if (wanted && [...select.options].some((option) => option.value === wanted)) select.value = wanted;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const url = new URL(location.href);
    if (select.value) url.searchParams.set("statut", select.value);
    else url.searchParams.delete("statut");
    history.replaceState(null, "", url);
    await load({ fresh: true });
  });
  more.addEventListener("click", () => load({ fresh: false }));
  await load({ fresh: true });
});

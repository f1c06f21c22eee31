// A referral's facts in plain French: its status, the reserved device, where to collect it and
// why it was matched. Allocation answers codes and numbers; the words are the catalogue's.
import { el } from "/portal/static/js/dom.js";
import { date } from "/portal/static/js/format.js";
import { has, t } from "/portal/static/js/i18n.js";

export function statusBadge(status) {
  return el("span", { class: `status status-${status}` }, t(`referrer.status.${status}`));
}

export function deviceType(type) {
  return type ? t(`referrer.device_type.${type}`) : t("referrer.grade.unknown");
}

export function grade(value) {
  return value ? t(`referrer.grade.${value}`) : t("referrer.grade.unknown");
}

/** Where the beneficiary collects the device: the point of sale that sold it, or any of the territory. */
export function collectAt(collect) {
  if (collect?.point_of_sale_id) return t("referrer.reservation.collect_sold", { point_of_sale: collect.point_of_sale_id });
  if (collect?.territory) return t("referrer.reservation.collect_territory", { territory: collect.territory });
  return t("referrer.reservation.collect_territory_unknown");
}

/** The requirements a diagnosis set, as a French list ("une webcam qui fonctionne, au moins 8 Go…"). */
export function requirementsText(requirements = {}) {
  const parts = [];
  if (requirements.webcam) parts.push(t("referrer.requirement.webcam"));
  if (requirements.min_ram_gb) parts.push(t("referrer.requirement.min_ram_gb", { n: requirements.min_ram_gb }));
  if (requirements.min_battery_health_pct) {
    parts.push(t("referrer.requirement.min_battery_health_pct", { n: requirements.min_battery_health_pct }));
  }
  if (requirements.keyboard_layout) {
    const layoutKey = `referrer.form.keyboard_layout.${requirements.keyboard_layout}`;
    parts.push(t("referrer.requirement.keyboard_layout",
      { layout: has(layoutKey) ? t(layoutKey) : requirements.keyboard_layout }));
  }
  return parts.join(", ");
}

function reasonText(reason) {
  const key = `referrer.why.${reason.rule}.${reason.code}`;
  if (!has(key)) return null;
  if (reason.rule === "provenance") {
    return t(key, { donor: t(`referrer.donor.${reason.donor_type}`), territory: reason.donor_territory,
      date: date(reason.kept_until) });
  }
  if (reason.rule === "needs") return t(key, { requirements: requirementsText(reason.requirements || {}) });
  return t(key, { priority: t(`referrer.priority.${reason.priority}`).toLowerCase(),
    date: date(reason.waiting_since || reason.ready_since) });
}

/** "Pourquoi cet appareil": the trigger, one sentence per rule, the others passed over with their counts. */
export function whyThisDevice(matching) {
  const nodes = [el("p", {}, t(`referrer.why.trigger.${matching.trigger}`,
    { date: date(matching.decided_at), n: matching.candidates }))];
  const reasons = (matching.reasons || []).map(reasonText).filter(Boolean);
  if (reasons.length) nodes.push(el("ul", { class: "why" }, reasons.map((text) => el("li", {}, text))));
  else nodes.push(el("p", { class: "hint" }, t("referrer.why.none_recorded")));
  const others = (matching.passed_over || [])
    .map((group) => ({ key: `referrer.why.passed_over.${matching.trigger}.${group.code}`, n: group.count }))
    .filter((group) => has(group.key));
  if (others.length) {
    nodes.push(el("p", {}, t(`referrer.why.passed_over.${matching.trigger}.title`)),
      el("ul", {}, others.map((group) => el("li", {}, t(group.key, { n: group.n })))));
  }
  return nodes;
}

// What each done step recorded, and the grade's rules in French, from the facts the refurb
// service gives (measure, value, bound), never from its English `detail`.
import { el } from "/portal/static/js/dom.js";
import { dateTime, euros } from "/portal/static/js/format.js";
import { t } from "/portal/static/js/i18n.js";

const PRESENCE = new Set(["has_nvme", "has_hdd"]);

function fact(item) {
  const measure = t(`workshop.measure.${item.measure}`);
  if (PRESENCE.has(item.measure)) {
    return t(item.value ? "workshop.grade.present" : "workshop.grade.absent", { measure });
  }
  if (item.at_least !== null && item.at_least !== undefined) {
    return t("workshop.grade.at_least", { measure, value: item.value, bound: item.at_least });
  }
  return t("workshop.grade.below", { measure, value: item.value, bound: item.below });
}

/** One fired rule, in a sentence. */
export function ruleSentence(rule) {
  const facts = rule.facts.map(fact).join(t("workshop.grade.and"));
  if (rule.kind === "cap") {
    const effect = t(rule.lowered_grade ? "workshop.grade.cap_lowered" : "workshop.grade.cap_no_effect");
    return `${t("workshop.grade.cap_rule", { grade: rule.at_most, facts })} — ${effect}`;
  }
  return t("workshop.grade.points_rule", { facts, points: rule.points });
}

export function gradeCard(grade) {
  return el("div", { class: "grade-result", id: "wo-grade" },
    el("p", { class: "grade" }, t("workshop.grade.result", { grade: grade.grade, points: grade.points })),
    grade.grade_by_points !== grade.grade ? el("p", {}, t("workshop.grade.by_points", { grade: grade.grade_by_points }))
      : null,
    el("h4", {}, t("workshop.grade.rules")),
    el("ul", { class: "fired-rules" }, grade.fired.map((rule) => el("li", {}, ruleSentence(rule)))),
    el("p", { class: "hint" }, t("workshop.grade.rule_set", { version: grade.rule_set_version })));
}

function driveText(drive) {
  return `${drive.serial_number} (${t(`workshop.drive_kind.${drive.kind}`)}, ${drive.size_gb} Go)`;
}

function diagnosisRecord(order) {
  const d = order.diagnosis;
  const faulty = Object.entries(order.functions).filter(([, check]) => check !== "works")
    .map(([name, check]) => `${t(`workshop.function.${name}`)} (${t(`workshop.check.${check}`).toLowerCase()})`);
  return [
    t("workshop.record.cpu", { score: d.cpu_score }),
    t("workshop.record.ram", { ram: d.ram_gb || order.declared_specs.ram_gb }),
    d.battery_health_pct === null ? t("workshop.record.no_battery") : t("workshop.record.battery", { pct: d.battery_health_pct }),
    faulty.length ? t("workshop.record.faulty", { functions: faulty.join(", ") }) : t("workshop.record.all_work"),
    t("workshop.record.drives", { drives: d.drives.map(driveText).join(", ") }),
  ];
}

function erasureRecord(order) {
  const lines = order.erasures.map((record) => t("workshop.record.erasure_line", {
    serial: record.drive_serial, technique: t(`workshop.technique.${record.technique}`),
    level: t(`workshop.level.${record.level}`),
    result: t(record.passed ? "workshop.erasure.passed" : "workshop.erasure.failed").toLowerCase(),
    date: dateTime(record.completed_at),
  }));
  if (order.certificate) lines.push(t("workshop.record.certificate", { id: order.certificate.certificate_id }));
  return lines;
}

function repairRecord(order) {
  const repair = [...order.repairs].reverse().find((r) => r.cycle === order.cycle);
  if (!repair) return [];
  const parts = repair.parts.map((part) => t("workshop.record.part", { name: part.name, cost: euros(part.cost_eur) }));
  return [
    parts.length ? t("workshop.record.parts", { parts: parts.join(", ") }) : t("workshop.record.no_parts"),
    Number(repair.labour_cost_eur) ? t("workshop.record.labour", { cost: euros(repair.labour_cost_eur) }) : null,
  ].filter(Boolean);
}

/** What `step` recorded on `order`, as a list (or a grade card), or null if nothing shows. */
export function recordOf(step, order) {
  let lines = [];
  if (step === "diagnosis" && order.diagnosis) lines = diagnosisRecord(order);
  if (step === "erasure") lines = erasureRecord(order);
  if (step === "repair") lines = repairRecord(order);
  if (step === "installation" && order.installation) {
    lines = [t("workshop.record.os", { name: order.installation.os_name, version: order.installation.os_version || "" }).trim()];
  }
  if (step === "grade" && order.grade) return gradeCard(order.grade);
  if (step === "ready") lines = [t("workshop.record.ready")];
  return lines.length ? el("ul", { class: "record" }, lines.map((line) => el("li", {}, line))) : null;
}

export function scrapRecord(order) {
  const scrap = order.scrap;
  return el("div", { class: "notice", id: "wo-scrap-record" },
    el("p", {}, t("workshop.scrap.at_step", { step: t(`workshop.step.${scrap.at_step}`) })),
    el("p", {}, t("workshop.scrap.recorded", {
      reason: t(`workshop.scrap_reason.${scrap.reason}`), channel: t(`workshop.channel.${scrap.recycling_channel}`) })),
    el("p", {}, t("workshop.scrap.harvested", {
      parts: scrap.harvested_parts.length ? scrap.harvested_parts.join(", ") : t("workshop.scrap.no_parts") })));
}

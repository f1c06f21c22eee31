// One form per step of a work order, built from what the work order says: the drives found at
// diagnosis, the erasure methods the refurb service allows for each drive's kind, the functions
// still to retest. Each returns {form, read} where `read(form)` gives the route's JSON body.
import { el } from "/portal/static/js/dom.js";
import { readForm } from "/portal/static/js/forms.js";
import { t } from "/portal/static/js/i18n.js";
import {
  checkbox, choicesOf, inputField, radioGroup, repeatable, selectField, textArea,
} from "/portal/static/js/pages/workshop/controls.js";

const FUNCTIONS = ["screen", "keyboard", "trackpad", "webcam", "audio", "ports", "charger"];
const CHECKS = ["works", "faulty", "absent"];
const DRIVE_KINDS = ["hdd", "ssd", "nvme"];
const SMART = ["passed", "failed", "unavailable"];
const SCRAP_REASONS = ["beyond_economic_repair", "motherboard_failure", "physical_damage", "liquid_damage",
  "obsolete", "missing_parts", "locked", "other"];
const CHANNELS = ["ecosystem", "certified_recycler", "manufacturer_take_back"];

function stepForm(step, ...children) {
  return el("form", { class: "step-form", novalidate: true, dataset: { step } },
    el("div", { role: "alert", class: "form-alert" }), ...children);
}

function submitButton(label) {
  return el("div", { class: "actions" }, el("button", { type: "submit", class: "button" }, label));
}

/** A euro amount as the API reads it: a decimal string with a dot. */
function amount(value) {
  return typeof value === "string" ? value.replace(",", ".").replace(/\s/g, "") : value;
}

// --- diagnosis -----------------------------------------------------------------------------------

function driveRow(prefix, drive) {
  return [
    inputField({ name: `${prefix}.serial_number`, label: t("workshop.diagnosis.drive_serial"), value: drive.serial_number }),
    selectField({ name: `${prefix}.kind`, label: t("workshop.diagnosis.drive_kind"),
      options: choicesOf("workshop.drive_kind", DRIVE_KINDS), value: drive.kind }),
    inputField({ name: `${prefix}.size_gb`, label: t("workshop.diagnosis.drive_size"), dataType: "integer",
      inputmode: "numeric", value: drive.size_gb }),
    selectField({ name: `${prefix}.smart_status`, label: t("workshop.diagnosis.drive_smart"),
      options: choicesOf("workshop.smart", SMART), placeholder: t("workshop.scrap.choose") }),
  ];
}

function diagnosisForm(order) {
  const noBattery = checkbox({ label: t("workshop.diagnosis.no_battery"), data: { noBattery: "" } });
  const form = stepForm("diagnosis",
    el("p", {}, t("workshop.diagnosis.intro")),
    inputField({ name: "cpu_score", label: t("workshop.diagnosis.cpu_score"), hint: t("workshop.diagnosis.cpu_score_hint"),
      dataType: "integer", inputmode: "numeric", required: true }),
    inputField({ name: "ram_gb", label: t("workshop.diagnosis.ram_gb"), dataType: "integer", inputmode: "numeric",
      hint: t("workshop.diagnosis.ram_gb_hint", { ram: order.declared_specs.ram_gb }) }),
    inputField({ name: "battery_health_pct", label: t("workshop.diagnosis.battery"), dataType: "integer",
      inputmode: "numeric", hint: t("workshop.diagnosis.battery_hint") }),
    noBattery,
    el("fieldset", { class: "functions" }, el("legend", {}, t("workshop.diagnosis.functions")),
      FUNCTIONS.map((name) => radioGroup({ name, legend: t(`workshop.function.${name}`),
        options: choicesOf("workshop.check", CHECKS) }))),
    inputField({ name: "keyboard_layout", label: t("workshop.diagnosis.keyboard_layout"),
      hint: t("workshop.diagnosis.keyboard_layout_hint") }),
    repeatable({
      list: "drives", legend: t("workshop.diagnosis.drives"), hint: t("workshop.diagnosis.drives_hint"),
      addLabel: t("workshop.diagnosis.add_drive"),
      rowLegend: (n) => t("workshop.diagnosis.drive_legend", { n }),
      removeLabel: (n) => t("workshop.diagnosis.remove_drive", { n }),
      makeRow: driveRow, initial: order.declared_specs.drives,
    }),
    textArea({ name: "notes", label: t("workshop.diagnosis.notes"), hint: t("workshop.diagnosis.notes_hint") }),
    submitButton(t("workshop.diagnosis.submit")));
  const battery = form.querySelector('[name="battery_health_pct"]');
  noBattery.querySelector("input").addEventListener("change", (event) => { battery.disabled = event.target.checked; });
  return {
    form,
    read(current) {
      const body = readForm(current);
      // The route wants the field either way: null says the device has no battery.
      if (current.querySelector("[data-no-battery]").checked) body.battery_health_pct = null;
      return body;
    },
  };
}

// --- erasure -------------------------------------------------------------------------------------

function localNow() {
  const now = new Date();
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset(), 0, 0);
  return now.toISOString().slice(0, 16);
}

function erasureDrive(drive, index) {
  const prefix = `drives.${index}`;
  const technique = selectField({ name: `${prefix}.technique`, label: t("workshop.erasure.technique"),
    placeholder: t("workshop.scrap.choose"),
    options: drive.methods.map((method) => [method.technique, t(`workshop.technique.${method.technique}`)]) });
  const level = selectField({ name: `${prefix}.level`, label: t("workshop.erasure.level"),
    placeholder: t("workshop.scrap.choose"), options: [] });
  const levelSelect = level.querySelector("select");
  technique.querySelector("select").addEventListener("change", (event) => {
    // Only the levels this technique reaches (NIST SP 800-88), as the service says.
    const method = drive.methods.find((m) => m.technique === event.target.value);
    const levels = method ? method.levels : [];
    levelSelect.replaceChildren(el("option", { value: "" }, t("workshop.scrap.choose")),
      ...levels.map((value) => el("option", { value, selected: levels.length === 1 }, t(`workshop.level.${value}`))));
  });
  return el("fieldset", { class: "row", dataset: { drive: drive.serial_number } },
    el("legend", {}, t("workshop.erasure.drive_legend", {
      serial: drive.serial_number, kind: t(`workshop.drive_kind.${drive.kind}`), size: drive.size_gb })),
    el("p", { class: "status" }, t(`workshop.erasure.state.${drive.state}`)),
    el("input", { type: "hidden", name: `${prefix}.drive_serial`, value: drive.serial_number }),
    technique, level,
    inputField({ name: `${prefix}.tool`, label: t("workshop.erasure.tool"), hint: t("workshop.erasure.tool_hint") }),
    inputField({ name: `${prefix}.operator`, label: t("workshop.erasure.operator"),
      hint: t("workshop.erasure.operator_hint") }),
    radioGroup({ name: `${prefix}.passed`, legend: t("workshop.erasure.result"), dataType: "boolean",
      options: [["true", t("workshop.erasure.passed")], ["false", t("workshop.erasure.failed")]] }),
    inputField({ name: `${prefix}.completed_at`, label: t("workshop.erasure.completed_at"), type: "datetime-local",
      value: localNow() }));
}

function erasureForm(order) {
  const pending = order.drives_to_erase.filter((drive) => drive.state === "to_erase" || drive.state === "failed");
  const form = stepForm("erasure",
    el("p", {}, t("workshop.erasure.intro")),
    pending.map(erasureDrive),
    submitButton(t("workshop.erasure.submit")));
  return {
    form,
    read(current) {
      const body = readForm(current);
      for (const record of body.drives || []) {
        // The time typed is local; the route wants it with its time zone.
        if (record.completed_at) record.completed_at = new Date(record.completed_at).toISOString();
      }
      return body;
    },
  };
}

// --- repair --------------------------------------------------------------------------------------

function partRow(prefix) {
  return [
    inputField({ name: `${prefix}.name`, label: t("workshop.repair.part_name"), hint: t("workshop.repair.part_name_hint") }),
    inputField({ name: `${prefix}.cost_eur`, label: t("workshop.repair.part_cost"), inputmode: "decimal" }),
  ];
}

function destroyedSerials(order) {
  return new Set(order.drives_to_erase.filter((d) => d.state === "destroyed").map((d) => d.serial_number));
}

function fittedDrives(order) {
  // A destroyed drive left the device: the route wants the drives fitted now.
  const destroyed = destroyedSerials(order);
  if (!destroyed.size) return null;
  return el("fieldset", { class: "fitted-drives" }, el("legend", {}, t("workshop.repair.drives")),
    el("p", { class: "hint" }, t("workshop.repair.drives_hint")),
    order.specs.drives.map((drive, index) => checkbox({
      label: t("workshop.repair.keep_drive", { serial: drive.serial_number || "—",
        kind: t(`workshop.drive_kind.${drive.kind}`), size: drive.size_gb }),
      checked: !destroyed.has(drive.serial_number), data: { keepDrive: String(index) },
    })),
    el("fieldset", { class: "row" }, el("legend", {}, t("workshop.repair.new_drive")),
      selectField({ name: "", label: t("workshop.diagnosis.drive_kind"), placeholder: t("workshop.scrap.choose"),
        options: choicesOf("workshop.drive_kind", DRIVE_KINDS) }),
      inputField({ name: "", label: t("workshop.diagnosis.drive_size"), inputmode: "numeric" }),
      inputField({ name: "", label: t("workshop.diagnosis.drive_serial") })));
}

function repairForm(order) {
  const toRetest = FUNCTIONS.filter((name) => order.functions[name] && order.functions[name] !== "works");
  const fitted = fittedDrives(order);
  const form = stepForm("repair",
    el("p", {}, t("workshop.repair.intro")),
    repeatable({
      list: "parts", legend: t("workshop.repair.parts"), addLabel: t("workshop.repair.add_part"),
      rowLegend: (n) => t("workshop.repair.part_legend", { n }), removeLabel: (n) => t("workshop.repair.remove_part", { n }),
      makeRow: partRow,
    }),
    inputField({ name: "labour_cost_eur", label: t("workshop.repair.labour"), inputmode: "decimal" }),
    toRetest.length ? el("fieldset", {}, el("legend", {}, t("workshop.repair.retested")),
      el("p", { class: "hint" }, t("workshop.repair.retested_hint")),
      toRetest.map((name) => radioGroup({ name: `retested.${name}`, legend: t(`workshop.function.${name}`), checked: "",
        options: [["", t("workshop.check.not_retested")], ...choicesOf("workshop.check", CHECKS)] }))) : null,
    inputField({ name: "new_battery_health_pct", label: t("workshop.repair.battery"), dataType: "integer",
      inputmode: "numeric" }),
    inputField({ name: "ram_gb", label: t("workshop.repair.ram_gb"), dataType: "integer", inputmode: "numeric" }),
    fitted,
    textArea({ name: "notes", label: t("workshop.repair.notes") }),
    submitButton(t("workshop.repair.submit")));
  return {
    form,
    read(current) {
      const body = readForm(current);
      body.parts = (body.parts || []).map((part) => ({ ...part, cost_eur: amount(part.cost_eur) }));
      if (body.labour_cost_eur !== undefined) body.labour_cost_eur = amount(body.labour_cost_eur);
      if (body.retested) body.retested = Object.fromEntries(Object.entries(body.retested).filter(([, v]) => v));
      const box = current.querySelector(".fitted-drives");
      if (box) {
        const kept = [...box.querySelectorAll("[data-keep-drive]")].filter((input) => input.checked)
          .map((input) => order.specs.drives[Number(input.dataset.keepDrive)]);
        const [kind, size, serial] = [...box.querySelectorAll(".row select, .row input")].map((c) => c.value.trim());
        if (kind || size) kept.push({ kind, size_gb: Number.parseInt(size, 10), ...(serial ? { serial_number: serial } : {}) });
        body.drives = kept;
      }
      return body;
    },
  };
}

// --- installation, grade, ready ------------------------------------------------------------------

function installationForm() {
  return {
    form: stepForm("installation",
      el("p", {}, t("workshop.installation.intro")),
      inputField({ name: "os_name", label: t("workshop.installation.os_name"), hint: t("workshop.installation.os_name_hint"),
        required: true }),
      inputField({ name: "os_version", label: t("workshop.installation.os_version") }),
      textArea({ name: "notes", label: t("workshop.installation.notes") }),
      submitButton(t("workshop.installation.submit"))),
    read: readForm,
  };
}

function confirmForm(step, intro, label) {
  return { form: stepForm(step, el("p", {}, intro), submitButton(label)), read: () => ({}) };
}

// --- scrap ---------------------------------------------------------------------------------------

export function scrapForm() {
  return {
    form: stepForm("scrap",
      el("p", {}, t("workshop.scrap.intro")),
      selectField({ name: "reason", label: t("workshop.scrap.reason"), placeholder: t("workshop.scrap.choose"),
        options: choicesOf("workshop.scrap_reason", SCRAP_REASONS), required: true }),
      selectField({ name: "recycling_channel", label: t("workshop.scrap.channel"), placeholder: t("workshop.scrap.choose"),
        options: choicesOf("workshop.channel", CHANNELS), required: true }),
      repeatable({
        list: "harvested_parts", legend: t("workshop.scrap.parts"), hint: t("workshop.scrap.parts_hint"),
        addLabel: t("workshop.scrap.add_part"), rowLegend: (n) => t("workshop.scrap.part_legend", { n }),
        removeLabel: (n) => t("workshop.scrap.remove_part", { n }),
        makeRow: (prefix) => [inputField({ name: prefix, label: t("workshop.scrap.part_name") })],
      }),
      textArea({ name: "note", label: t("workshop.scrap.note") }),
      submitButton(t("workshop.scrap.submit"))),
    read(current) {
      const body = readForm(current);
      if (body.harvested_parts) body.harvested_parts = body.harvested_parts.filter((part) => part !== undefined);
      return body;
    },
  };
}

/** The form of the step due on `order`. */
export function formFor(step, order) {
  switch (step) {
    case "diagnosis": return diagnosisForm(order);
    case "erasure": return erasureForm(order);
    case "repair": return repairForm(order);
    case "installation": return installationForm(order);
    case "grade": return confirmForm("grade", t("workshop.grade.intro"), t("workshop.grade.submit"));
    case "ready": return confirmForm("ready", t("workshop.ready.intro"), t("workshop.ready.submit"));
    default: throw new Error(`no form for ${step}`);
  }
}

/**
 * Forms generated from GET /meta (groups, `*` on required fields, staff-only fields read-only),
 * with inline checks from rules.js; the server's 422 errors are placed next to the same fields.
 */
import { checkValue, formatMessage, identityErrors, todayIso } from "./rules.js";
import { h } from "./ui.js";

/**
 * A form for the member record, grouped as the schema says.
 *
 * options:
 *   values       current record (plain object)
 *   canEdit(f)   whether the user may edit field f (others are shown read-only)
 *   lockedNote   text shown under read-only fields (e.g. "请联系所属注协修改")
 *   onlyGroups   restrict to these group keys
 *   idPrefix     prefix for element ids (two forms on one page)
 *   requireAll   required fields must be filled (member completing the record); otherwise a
 *                required field may stay empty unless it had a value before (staff corrections)
 */
export class RecordForm {
  constructor(meta, options = {}) {
    this.meta = meta;
    this.opts = { idPrefix: "f-", lockedNote: "", requireAll: false, canEdit: () => true, ...options };
    this.values = { ...(options.values || {}) };
    this.fields = meta.fields.filter((f) => !this.opts.onlyGroups || this.opts.onlyGroups.includes(f.group));
    this.byKey = Object.fromEntries(meta.fields.map((f) => [f.key, f]));
    this.node = this._build();
  }

  id(key) { return this.opts.idPrefix + key; }

  control(key) { return this.node.querySelector(`[name="${CSS.escape(key)}"]`); }

  _build() {
    const root = h("div", { class: "record-form" });
    for (const group of this.meta.groups) {
      const fields = this.fields.filter((f) => f.group === group.key);
      if (!fields.length) continue;
      const grid = h("div", { class: "field-grid" });
      for (const f of fields) grid.append(this._field(f));
      root.append(h("fieldset", { class: "group", "data-group": group.key }, h("legend", {}, group.label), grid));
    }
    return root;
  }

  _field(f) {
    const editable = this.opts.canEdit(f);
    const id = this.id(f.key);
    const errId = id + "-err";
    const hintId = id + "-hint";
    const value = this.values[f.key] == null ? "" : String(this.values[f.key]);
    const described = [f.hint ? hintId : null, !editable && this.opts.lockedNote ? hintId : null, errId]
      .filter(Boolean).join(" ");
    const common = { id, name: f.key, "aria-describedby": described, "data-type": f.type };
    if (f.required && editable) common["aria-required"] = "true";
    let input;
    if (!editable) {
      const shown = f.type === "association" ? this._assocName(value) : value;
      input = h("input", { ...common, type: "text", value: shown, readonly: true, class: "readonly", "aria-readonly": "true" });
    } else if (f.type === "select" || f.type === "association") {
      const opts = f.type === "association"
        ? this.meta.associations.map((a) => ({ value: a.code, label: a.name }))
        : (f.options || []).map((o) => ({ value: o, label: o }));
      input = h("select", common, h("option", { value: "" }, "请选择"),
        opts.map((o) => h("option", { value: o.value, selected: o.value === value }, o.label)));
      if (value && !opts.some((o) => o.value === value)) {
        input.append(h("option", { value, selected: true }, `${value}(已停用选项)`));
      }
    } else {
      const type = { date: "date", email: "email", mobile: "tel", phone: "tel", postal_code: "text", qq: "text" }[f.type] || "text";
      const extra = {};
      if (f.type === "postal_code" || f.type === "qq") extra.inputmode = "numeric";
      if (f.type === "email") extra.autocomplete = "email";
      if (f.type === "mobile") extra.autocomplete = "tel";
      if (f.type === "date") extra.max = todayIso();
      input = h("input", { ...common, ...extra, type, value, maxlength: String(f.max_length || 100) });
    }
    const hintText = !editable && this.opts.lockedNote ? this.opts.lockedNote : f.hint;
    const wrap = h("div", { class: "field" + (editable ? "" : " field-locked"), "data-key": f.key },
      h("label", { for: id }, f.label, f.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null,
        f.required ? h("span", { class: "sr-only" }, "(必填)") : null),
      input,
      hintText ? h("p", { class: "hint", id: hintId }, hintText) : null,
      h("p", { class: "field-error", id: errId, hidden: true }));
    if (editable) {
      input.addEventListener("blur", () => this.validateOne(f.key));
      input.addEventListener("change", () => this.validateOne(f.key));
    }
    return wrap;
  }

  _assocName(code) {
    const a = this.meta.associations.find((x) => x.code === code);
    return a ? a.name : code;
  }

  editableKeys() { return this.fields.filter((f) => this.opts.canEdit(f)).map((f) => f.key); }

  /** Current form values of the editable fields, trimmed. */
  formValues() {
    const out = {};
    for (const key of this.editableKeys()) {
      const c = this.control(key);
      if (!c) continue;
      let v = String(c.value || "").trim();
      if (key === "id_number") v = v.toUpperCase().replace(/\s+/g, "");
      out[key] = v;
    }
    return out;
  }

  /** Only the fields whose value differs from the record the form was built with. */
  changes() {
    const now = this.formValues();
    const out = {};
    for (const [k, v] of Object.entries(now)) {
      const before = this.values[k] == null ? "" : String(this.values[k]);
      if (v !== before) out[k] = v;
    }
    return out;
  }

  /** Put values into the form (reapplying unsaved changes after a reload). */
  setValues(values) {
    for (const [k, v] of Object.entries(values)) {
      const c = this.control(k);
      if (!c || c.readOnly) continue;
      if (c.tagName === "SELECT" && v && !Array.from(c.options).some((o) => o.value === v)) {
        c.append(h("option", { value: v }, v));
      }
      c.value = v;
      c.closest(".field").classList.add("field-reapplied");
    }
  }

  _problems(values) {
    const errors = {};
    for (const key of this.editableKeys()) {
      const f = this.byKey[key];
      const v = values[key] || "";
      const before = this.values[key] == null ? "" : String(this.values[key]);
      if (!v) {
        if (f.required && (this.opts.requireAll || before)) errors[key] = formatMessage(this.meta, "required", { label: f.label });
        continue;
      }
      const p = checkValue(this.meta, f, v);
      if (p) errors[key] = p;
    }
    const merged = { ...this.values, ...values };
    const idKeys = this.meta.id_consistency_fields;
    if (idKeys.some((k) => k in values && values[k] !== (this.values[k] || "")) && !errors.id_type && !errors.id_number) {
      for (const [k, m] of Object.entries(identityErrors(this.meta, merged))) {
        if (this.editableKeys().includes(k) && !errors[k]) errors[k] = m;
      }
    }
    return errors;
  }

  validateOne(key) {
    const errors = this._problems(this.formValues());
    this.setError(key, errors[key] || "");
    return !errors[key];
  }

  /** Validate everything; show every problem next to its field; focus the first. */
  validate() {
    const errors = this._problems(this.formValues());
    for (const key of this.editableKeys()) this.setError(key, errors[key] || "");
    const first = this.fields.find((f) => errors[f.key]);
    if (first) this.focus(first.key);
    return !first;
  }

  setError(key, message) {
    const c = this.control(key);
    const err = this.node.querySelector(`#${CSS.escape(this.id(key))}-err`);
    if (!c || !err) return;
    err.textContent = message || "";
    err.hidden = !message;
    if (message) c.setAttribute("aria-invalid", "true"); else c.removeAttribute("aria-invalid");
    c.closest(".field").classList.toggle("has-error", Boolean(message));
  }

  /** Place the server's 422 errors [{key,label,message}]; returns those without a field here. */
  showServerErrors(errors) {
    const orphans = [];
    for (const e of errors || []) {
      if (this.control(e.key) && !this.control(e.key).readOnly) this.setError(e.key, e.message);
      else orphans.push(e);
    }
    const first = this.fields.find((f) => (errors || []).some((e) => e.key === f.key) && this.control(f.key));
    if (first) this.focus(first.key);
    return orphans;
  }

  markMissing(keys) {
    for (const key of keys) {
      const field = this.node.querySelector(`.field[data-key="${CSS.escape(key)}"]`);
      if (field) field.classList.add("field-missing");
    }
  }

  focus(key) {
    const c = this.control(key);
    if (!c) return;
    c.scrollIntoView({ block: "center" });
    c.focus({ preventScroll: true });
  }
}

/** Field types whose values are numbers a reader copies: they stay on one line. */
const NUMBER_TYPES = new Set(["id_number", "mobile", "phone", "postal_code", "qq", "date"]);

/** Read-only display of a record by group: <section><h3>group</h3><dl>…</dl></section>. */
export function recordView(meta, record, { missing = [] } = {}) {
  const missingKeys = new Set(missing.map((m) => m.key));
  const root = h("div", { class: "record-view" });
  for (const group of meta.groups) {
    const fields = meta.fields.filter((f) => f.group === group.key);
    if (!fields.length) continue;
    const dl = h("dl", { class: "kv" });
    for (const f of fields) {
      let v = record[f.key] == null ? "" : String(record[f.key]);
      if (f.type === "association") {
        const a = meta.associations.find((x) => x.code === v);
        v = record.association_name || (a ? a.name : v);
      }
      const isMissing = missingKeys.has(f.key);
      dl.append(h("div", { class: "kv-row" + (isMissing ? " kv-missing" : "") },
        h("dt", {}, f.label, f.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
        h("dd", {}, v && NUMBER_TYPES.has(f.type) ? h("span", { class: "num" }, v) : v || (isMissing ? "未填写(必填)" : "—"))));
    }
    root.append(h("section", { class: "group" }, h("h3", {}, group.label), dl));
  }
  return root;
}


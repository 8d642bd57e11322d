/**
 * The staff photo dialog: the exam photo (or a sample) beside the candidate, automatic fitting,
 * the check report with the comparison, and 确认上传 / "使用全科合格照片".
 */
import { messageFor } from "../api.js";
import {
  ACCEPT, authImage, checkReport, firstProblem, mimeOf, photoSize, pollUpload, postPresigned, requirementsLine, scoreText,
  staffRuleHelp, tooLargeMessage,
} from "../photo.js";
import { alertBox, busy, clear, dataUrlToBlob, h, modal, progress, setMessage } from "../ui.js";
import { showDetail } from "./detail.js";
import { api, isExpired, SAMPLE_PHOTO, state } from "./state.js";
import { t } from "../texts.js";

export function photoDialog() {
  const { no, record } = state.detail;
  let changed = false;
  const { body, close } = modal(`上传照片 · ${record.name || ""}(${no})`, {
    wide: true,
    onClose: () => { if (changed) showDetail(no, { message: alertBox("success", null, "会员证照片已更新") }); },
  });
  const refFig = h("figure", { class: "photo-frame" }, h("div", { class: "photo-empty" }, h("span", { class: "spinner", "aria-hidden": "true" })), h("figcaption", {}, "全科合格照片"));
  const candFig = h("figure", { class: "photo-frame" }, h("div", { class: "photo-empty" }, "请选择照片"), h("figcaption", {}, "待上传照片"));
  const input = h("input", { type: "file", id: "dlg-photo-file", accept: ACCEPT, class: "file-input" });
  const useRef = h("button", { type: "button", class: "btn", id: "use-reference", disabled: true }, "使用全科合格照片");
  const report = h("div", { class: "dialog-report", "aria-live": "polite" });
  const confirm = h("button", { type: "button", class: "btn btn-primary", id: "dlg-confirm", disabled: true }, t("confirm_upload"));
  const msg = h("div", { class: "form-message", "aria-live": "polite" });
  clear(body,
    h("div", { class: "photo-compare" }, refFig, candFig,
      h("div", { class: "photo-steps" },
        h("p", { class: "muted small" }, requirementsLine(state.meta.photo_spec) + "可选择任意照片,系统将自动裁剪压缩为符合规格的候选照片。"),
        h("div", { class: "file-picker" }, h("label", { for: "dlg-photo-file", class: "btn btn-secondary" }, "选择照片文件"), input),
        report)),
    msg,
    h("div", { class: "actions actions-end" }, useRef, confirm, h("button", { type: "button", class: "btn", onclick: close }, "关闭")));

  const showSample = () => {
    refFig.firstChild.replaceWith(h("img", { src: SAMPLE_PHOTO, alt: "示例照片", class: "photo", ...photoSize(state.meta.photo_spec) }));
    refFig.querySelector("figcaption").textContent = "示例照片(无全科合格照片)";
  };
  if (record.has_reference === false) showSample();
  else {
    authImage(api, state.meta.photo_spec, `/members/${encodeURIComponent(no)}/photo`, "全科合格照片", { kind: "reference" }).then(({ img, ok }) => {
      if (ok) { refFig.firstChild.replaceWith(img); useRef.disabled = false; } else showSample();
    });
  }

  let candidate = null; // data URL of the fitted photo
  let upload = null; // {upload_id, result}

  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    clear(msg); confirm.disabled = true; upload = null; candidate = null; overrideBox = null;
    if (file.size > state.meta.photo_spec.source_max_bytes) { setMessage(msg, "error", tooLargeMessage(state.meta.photo_spec)); return; }
    const p = progress("正在自动处理照片…");
    clear(report, p.node);
    try {
      const res = await api.request("POST", `/members/${encodeURIComponent(no)}/photo/prepare`, { body: file, contentType: mimeOf(file) });
      const checks = (res.report && res.report.checks) || [];
      if (!res.image) {
        const first = firstProblem(checks);
        clear(report, alertBox("error", (res.report && res.report.message) || (first && first.message) || "未能生成候选照片",
          checkReport(checks, { showHelp: false })));
        return;
      }
      candidate = res.image;
      candFig.firstChild.replaceWith(h("img", { src: candidate, alt: "待上传照片", class: "photo", ...photoSize(state.meta.photo_spec), id: "dlg-candidate" }));
      const ok = checks.every((c) => c.ok);
      clear(report, h("h3", {}, "规格检查"), checkReport(checks, { help: staffRuleHelp }),
        ok ? null : alertBox("warning", null, "照片不符合规格,请更换照片。"));
      if (ok) {
        // upload now so the comparison with the exam photo is shown before the staff confirm
        await uploadAndCheck();
      }
    } catch (err) {
      if (isExpired(err)) { close(); return; }
      clear(report);
      setMessage(msg, "error", err.status === 413 ? tooLargeMessage(state.meta.photo_spec) : messageFor(err));
    } finally {
      input.value = "";
    }
  });

  async function uploadAndCheck() {
    const p = progress("正在上传并比对…");
    report.append(p.node);
    const presigned = await api.post(`/members/${encodeURIComponent(no)}/photo/uploads`, {});
    await postPresigned(presigned, dataUrlToBlob(candidate), "photo.jpg", (f) => p.set(f * 0.5, `正在上传…${Math.round(f * 100)}%`));
    p.set(0.5, "正在检查规格并与全科合格照片比对…");
    const result = await pollUpload(api, `/members/${encodeURIComponent(no)}/photo/uploads/${encodeURIComponent(presigned.upload_id)}`,
      { onTick: (s) => p.set(Math.min(0.95, 0.5 + s / 60), `正在检查规格并与全科合格照片比对…(${Math.round(s)} 秒)`) });
    upload = { id: presigned.upload_id, result };
    p.node.remove();
    const score = typeof result.score === "number" ? h("p", { class: "small muted" }, scoreText(result.score, result.engine)) : null;
    const match = (result.checks || []).find((c) => c.rule === "face_match");
    const mismatch = result.status === "accepted" && match && !match.ok && (match.state || "failed") === "failed";
    let verdict;
    if (result.status !== "accepted") {
      verdict = alertBox("error", "照片未通过规格检查", h("p", {}, result.message || "请更换照片后重试。"));
    } else if (mismatch) {
      overrideBox = overrideField();
      verdict = alertBox("error", "人脸比对未通过:不能直接确认",
        h("p", {}, "系统判断这张照片与全科合格照片可能不是同一人。请先核实会员身份(如核对身份证件、电话联系会员本人)。"),
        h("p", {}, "确认为本人时,请填写核实情况作为确认理由;理由将记入该会员的操作记录。否则请更换照片。"),
        overrideBox.node);
    } else {
      verdict = alertBox("info", null, "照片符合规格,人脸比对一致。请再核对两张照片是否为同一人,确认后点击“确认上传”。");
    }
    clear(report, h("h3", {}, "检查报告"), checkReport(result.checks || [], { help: staffRuleHelp }), score, verdict);
    confirm.disabled = result.status !== "accepted" || (mismatch && !overrideBox.value());
    if (mismatch) overrideBox.focus();
    else if (!confirm.disabled) confirm.focus();
  }

  let overrideBox = null;
  function overrideField() {
    const area = h("textarea", { id: "dlg-override", rows: "2", maxlength: "200", "aria-describedby": "dlg-override-hint" });
    area.addEventListener("input", () => { confirm.disabled = !area.value.trim(); });
    const node = h("div", { class: "field" },
      h("label", { for: "dlg-override" }, "确认理由(必填)"), area,
      h("p", { class: "small", id: "dlg-override-hint" }, "例如:已核对身份证件并电话联系会员本人,确认为同一人。"));
    return { node, value: () => area.value.trim(), focus: () => area.focus() };
  }

  confirm.addEventListener("click", () => busy(confirm, "正在保存…", async () => {
    clear(msg);
    try {
      const body = overrideBox && overrideBox.value() ? { override_reason: overrideBox.value() } : {};
      await api.post(`/members/${encodeURIComponent(no)}/photo/uploads/${encodeURIComponent(upload.id)}/confirm`, body);
      changed = true;
      clear(report, alertBox("success", "上传成功", h("p", {}, "该照片已设为会员证照片。")));
      confirm.disabled = true;
    } catch (err) {
      if (isExpired(err)) { close(); return; }
      setMessage(msg, "error", messageFor(err));
    }
  }).then(() => { if (changed) confirm.disabled = true; }));

  useRef.addEventListener("click", () => busy(useRef, "正在处理…", async () => {
    clear(msg);
    try {
      const res = await api.post(`/members/${encodeURIComponent(no)}/photo/use-reference`, {});
      changed = true;
      clear(report, alertBox("success", "已使用全科合格照片", h("p", {}, "全科合格照片已调整为会员证规格并设为会员证照片。")),
        res.checks ? checkReport(res.checks) : null);
    } catch (err) {
      if (isExpired(err)) { close(); return; }
      clear(report, alertBox("error", messageFor(err), err.body && err.body.checks ? checkReport(err.body.checks) : null));
    }
  }));
}

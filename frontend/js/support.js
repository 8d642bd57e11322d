/**
 * The help line (咨询电话) that the footer of every page and every error message name.
 *
 * GET /meta publishes it (`support: {phone, label}`, a stage setting). Each page's footer carries
 * the default line in its HTML, so the contact shows even when the API cannot be reached; once
 * /meta has loaded, the footer and every later error use the published one.
 */

let published = null;

/** {label, phone}: the published contact, else the one in the page's footer. */
export function supportContact() {
  if (published) return published;
  const phone = document.querySelector("[data-support-phone]");
  const label = document.querySelector("[data-support-label]");
  return { label: label ? label.textContent.trim() : "咨询电话", phone: phone ? phone.textContent.trim() : "" };
}

/** "如需帮助,请拨打咨询电话 010-…": the sentence every error message ends with. */
export function supportSentence() {
  const { label, phone } = supportContact();
  return phone ? `如需帮助,请拨打${label} ${phone}` : "";
}

/** An error text that ends with the help line, for places that show plain text. */
export function withSupport(text) {
  const help = supportSentence();
  if (!help) return text;
  return /[。!?.!?]$/.test(text) ? `${text}${help}。` : `${text}。${help}。`;
}

/** The help line as a paragraph (the number kept on one line), or null when none is known. */
export function supportHint() {
  const { label, phone } = supportContact();
  if (!phone) return null;
  const p = document.createElement("p");
  p.className = "support-hint";
  const num = document.createElement("span");
  num.className = "num";
  num.textContent = phone;
  p.append(`如需帮助,请拨打${label} `, num);
  return p;
}

/** A tel: link for the first number of "010-88250337/0338". */
export function telHref(phone) {
  return "tel:" + String(phone).split("/")[0].replace(/[^\d+]/g, "");
}

/** Take the contact from GET /meta and show it in the footer. */
export function setSupport(meta) {
  if (!meta || !meta.support || !meta.support.phone) return;
  published = { label: meta.support.label || "咨询电话", phone: meta.support.phone };
  for (const el of document.querySelectorAll("[data-support-phone]")) {
    el.textContent = published.phone;
    if (el.tagName === "A") el.setAttribute("href", telHref(published.phone));
  }
  for (const el of document.querySelectorAll("[data-support-label]")) el.textContent = published.label;
}

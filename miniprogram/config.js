/**
 * The one configuration of the mini-program. Everything that differs between an installation
 * and another lives here and nowhere else.
 *
 * apiBase: the HTTPS root of the API on the site's ICP-filed domain. The same domain must be
 *   whitelisted in the WeChat admin console as request, uploadFile and downloadFile domain
 *   (see README.md); photo upload and certificate download go through this API too.
 * supportPhone: shown on every page when the API's /meta does not provide a support contact.
 */
module.exports = {
  apiBase: "https://ecert.example.cn/api",
  supportPhone: "010-88250337/0338",
  // how long a photo check may take before the page stops waiting (the result still arrives)
  checkTimeoutMs: 120000,
  // how often the photo page asks for the check result while it waits
  pollIntervalMs: 1000,
};

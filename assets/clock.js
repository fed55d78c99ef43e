/* Keeps every #ioc-clock current: time and date in the page's language, local to the agency
   (Asia/Ho_Chi_Minh), without a server round trip. Runs once per page load. */
(function () {
  var TZ = "Asia/Ho_Chi_Minh";
  var formatters = {};
  function fmt(lang) {
    if (!formatters[lang]) {
      var locale = lang === "en" ? "en-GB" : "vi-VN";
      formatters[lang] = {
        time: new Intl.DateTimeFormat(locale, { timeZone: TZ, hour: "2-digit", minute: "2-digit", hour12: false }),
        // English as everywhere else in the product: "Tuesday 08 Dec 2026", never 08/12 vs 12/08.
        date: new Intl.DateTimeFormat(locale, lang === "en"
          ? { timeZone: TZ, weekday: "long", day: "2-digit", month: "short", year: "numeric" }
          : { timeZone: TZ, weekday: "long", day: "2-digit", month: "2-digit", year: "numeric" })
      };
    }
    return formatters[lang];
  }
  function tick() {
    var el = document.getElementById("ioc-clock");
    if (!el) return;
    var f = fmt(el.getAttribute("data-lang") || "vi");
    var now = new Date();
    var text = f.time.format(now) + " · " + f.date.format(now);
    if (el.textContent !== text) el.textContent = text;
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
})();

/* The language and theme switches come back to the page as it is now — its path and its query
   (unit, period, ranking, playlist), which the pickers change without reloading — not just the
   page it was first drawn for. The server checks the target (dashboard.security.safe_next) and
   drops the switched parameter from it (dashboard/webapp.py). */
(function () {
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest && event.target.closest("#ioc-lang-switch, #ioc-theme-switch");
    if (!link) return;
    var href = link.getAttribute("href") || "";
    var base = href.split("?")[0];
    link.setAttribute("href", base + "?next=" + encodeURIComponent(location.pathname + location.search));
  }, true);
})();

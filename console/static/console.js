// jeton console: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";
  // Copy buttons: copy the text of the element named by data-copy.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button.copy");
    if (b) {
      var el = document.getElementById(b.dataset.copy);
      if (el && navigator.clipboard) {
        navigator.clipboard.writeText(el.textContent.trim()).then(function () {
          var was = b.textContent;
          b.textContent = b.dataset.copied || "Copied";
          setTimeout(function () { b.textContent = was; }, 2000);
        });
      }
      return;
    }
    // Dismiss the one-time secret panel without a reload.
    var d = e.target.closest("[data-dismiss]");
    if (d) {
      var p = document.getElementById(d.dataset.dismiss);
      if (p) { e.preventDefault(); p.remove(); document.getElementById("main").focus(); }
    }
  });
  // The activity chart refreshes in place.
  var a = document.querySelector("[data-refresh]");
  if (a) {
    setInterval(function () {
      fetch(a.dataset.refresh, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) { if (html !== null) { a.innerHTML = html; } });
    }, 10000);
  }
})();

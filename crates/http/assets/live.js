// Live statuses: an element with data-poll="URL" shows a status that the server may still
// change (a withdrawal on its way, a recipient being checked). The URL answers JSON
// {"status": "...", "final": bool, "class": "ok|wait|bad"}; the text follows it, and once
// the status is final the page reloads to show the outcome in full.
(function () {
  "use strict";
  var nodes = document.querySelectorAll("[data-poll]");
  Array.prototype.forEach.call(nodes, function (node) {
    var url = node.getAttribute("data-poll");
    var tries = 0;
    function tick() {
      if (++tries > 400) return; // about ten minutes
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) { setTimeout(tick, 3000); return; }
          if (node.textContent !== s.status) {
            node.textContent = s.status;
            node.className = "status " + (s["class"] || "");
          }
          if (s["final"]) { window.location.reload(); } else { setTimeout(tick, 1500); }
        })
        .catch(function () { setTimeout(tick, 3000); });
    }
    setTimeout(tick, 1000);
  });
})();

/* Google tag — fake third party of the bandeau demo (`bandeau demo --tcf`). Like gtag.js, it
 * reads the commands the page queued in window.dataLayer and those pushed later; it shows each
 * Consent Mode command (`consent` default/update, `set`) in the page's [data-gcm-log] list and
 * keeps them in window.__gcm for the tests. It sends nothing anywhere. */
(function () {
  "use strict";
  var layer = window.dataLayer = window.dataLayer || [];
  var seen = window.__gcm = [];
  var list = document.querySelector("[data-gcm-log]");
  if (list) list.textContent = "";
  function record(entry) {
    var args = Array.prototype.slice.call(entry);
    if (args[0] !== "consent" && args[0] !== "set") return;
    seen.push(args);
    if (!list) return;
    var item = document.createElement("li");
    item.textContent = args.map(function (a) { return typeof a === "string" ? a : JSON.stringify(a); }).join(" ");
    list.appendChild(item);
  }
  layer.forEach(record);
  var push = layer.push;
  layer.push = function () {
    Array.prototype.forEach.call(arguments, record);
    return push.apply(layer, arguments);
  };
  document.documentElement.setAttribute("data-gtag", "ready");
})();

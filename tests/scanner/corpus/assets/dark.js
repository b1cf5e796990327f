// Homemade banners with a dark pattern each, for the EDPB-B/C/D/E fixtures:
// <script src="/assets/dark.js" data-kind="link|contrast|preticked|outside" data-tracker="URL">.
// link: the refusal is a link inside the notice's paragraph, acceptance a large filled button;
// contrast: the refusal's text is pale grey on white; preticked: the first layer offers accept
// and settings, and the settings layer has the audience switch already on; outside: the banner
// only accepts, and the page's own [data-v] link (outside the banner) refuses.
// The choice is stored in the "consentement" cookie (6 months); the tracker loads only after
// acceptance; a footer link brings the banner back (EDPB-H is not what these test).
(function () {
  var me = document.currentScript;
  var tracker = me.getAttribute("data-tracker");
  var kind = me.getAttribute("data-kind");
  var notice = "Nous utilisons des cookies pour mesurer l'audience, avec votre consentement.";
  var accept = "<button type='button' data-v='oui' style='background:#0b5;color:#fff;" +
    "border:0;padding:14px 40px;font:bold 18px sans-serif'>Tout accepter</button> ";
  var layers = {
    link: "<p>" + notice + " Vous pouvez aussi <a href='#' data-v='non' style='color:#0645ad'>" +
      "continuer sans accepter</a> et changer d'avis à tout moment.</p>" + accept,
    contrast: "<p>" + notice + "</p>" + accept + "<button type='button' data-v='non' " +
      "style='background:#fff;color:#ccc;border:1px solid #999;padding:14px 40px;" +
      "font:bold 18px sans-serif'>Tout refuser</button>",
    preticked: "<p>" + notice + "</p>" + accept +
      "<button type='button' data-open style='padding:14px 40px;font:bold 18px sans-serif'>" +
      "Personnaliser</button>",
    outside: "<p>" + notice + "</p>" + accept
  };
  var settings = "<p>Vos choix, finalité par finalité.</p>" +
    "<label><input type='checkbox' checked disabled> Nécessaires</label><br>" +
    "<label><input type='checkbox' name='audience' checked> Mesure d'audience</label><br>" +
    "<label><input type='checkbox' name='pub'> Publicité</label><br>" +
    "<button type='button' data-save style='padding:10px 24px'>Enregistrer</button>";
  function choice() {
    var m = document.cookie.match(/(?:^|; )consentement=(\w+)/);
    return m ? m[1] : null;
  }
  function load() {
    var s = document.createElement("script");
    s.src = tracker;
    document.head.appendChild(s);
  }
  function decide(value, box) {
    document.cookie = "consentement=" + value + "; max-age=" + 182 * 86400 + "; path=/";
    box.remove();
    if (value === "oui") load();
  }
  function layer(html, z) {
    var box = document.createElement("div");
    box.setAttribute("style", "position:fixed;bottom:0;left:0;right:0;z-index:" + z + ";" +
      "background:#fff;border-top:2px solid #333;padding:1em;font:16px sans-serif");
    box.innerHTML = html;
    document.body.appendChild(box);
    return box;
  }
  function show() {
    var box = layer(layers[kind], 9999);
    box.setAttribute("data-dark-banner", "");
    box.addEventListener("click", function (e) {
      var t = e.target;
      if (t.getAttribute("data-v")) { e.preventDefault(); decide(t.getAttribute("data-v"), box); }
      if (t.hasAttribute("data-open")) { box.remove(); open(); }
    });
  }
  function open() {
    var box = layer(settings, 10000);
    box.querySelector("[data-save]").addEventListener("click", function () {
      decide(box.querySelector("[name=audience]").checked ? "oui" : "non", box);
    });
  }
  document.addEventListener("click", function (e) {  // refusal from outside the banner
    var t = e.target;
    var box = document.querySelector("[data-dark-banner]");
    if (box && t.getAttribute && t.getAttribute("data-v") && !box.contains(t)) {
      e.preventDefault();
      decide(t.getAttribute("data-v"), box);
    }
  });
  var c = choice();
  if (c === "oui") load();
  if (c) return;
  if (document.body) show(); else document.addEventListener("DOMContentLoaded", show);
})();

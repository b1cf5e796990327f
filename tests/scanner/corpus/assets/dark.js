// Homemade banners with a dark pattern each, for the EDPB-B/C/D/E fixtures:
// <script src="/assets/dark.js" data-kind="link|contrast|preticked|outside|narrow|gradient|vendors|
// unnamed-vendors"
// data-tracker="URL">.
// link: the refusal is a link inside the notice's paragraph, acceptance a large filled button;
// contrast: the refusal's text is pale grey on white; preticked: the first layer offers accept
// and settings, and the settings layer has the audience switch already on; outside: the banner
// only accepts, and the page's own [data-v] link (outside the banner) refuses; narrow: accept,
// settings and refuse in one row that does not wrap, in a bar that clips what overflows: on a
// 320 px screen the refusal is past the right edge; gradient: the refusal's pale text on a
// light gradient button, whose fallback colour (dark) is all that computed styles show;
// vendors: like preticked, but the settings layer's switches are off and its "Voir nos
// partenaires" opens a vendor list (a third layer) whose vendors are already ticked;
// unnamed-vendors: the same, but the control says "Afficher le détail" (no vendor word): it
// names the list, built hidden beside the layer, with aria-controls.
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
    outside: "<p>" + notice + "</p>" + accept,
    narrow: "<p>" + notice + "</p><div style='display:flex;gap:12px;white-space:nowrap'>" +
      accept.replace("style='", "style='flex-shrink:0;") +
      "<button type='button' data-open style='flex-shrink:0;padding:14px 24px;" +
      "font:bold 18px sans-serif'>Personnaliser</button>" +
      "<button type='button' data-v='non' style='flex-shrink:0;background:#333;color:#fff;" +
      "border:0;padding:14px 40px;font:bold 18px sans-serif'>Tout refuser</button></div>",
    gradient: "<p>" + notice + "</p>" + accept + "<button type='button' data-v='non' " +
      "style='background-color:#1b2a4e;background-image:linear-gradient(#ffffff,#eef1f6);" +
      "color:#e4e4e4;border:1px solid #999;padding:14px 40px;font:bold 18px sans-serif'>" +
      "Tout refuser</button>",
    vendors: "<p>" + notice + "</p>" + accept +
      "<button type='button' data-open style='padding:14px 40px;font:bold 18px sans-serif'>" +
      "Personnaliser</button>"
  };
  layers["unnamed-vendors"] = layers.vendors;
  var unnamed = kind === "unnamed-vendors";
  var purposes = "<p>Vos choix, finalité par finalité.</p>" +
    "<label><input type='checkbox' checked disabled> Nécessaires</label><br>" +
    "<label><input type='checkbox' name='audience'> Mesure d'audience</label><br>" +
    (unnamed ? "<button type='button' data-vendors aria-controls='dark-vendors' " +
      "aria-expanded='false' style='padding:10px 24px'>Afficher le détail"
      : "<button type='button' data-vendors style='padding:10px 24px'>Voir nos partenaires") +
    "</button> <button type='button' data-save style='padding:10px 24px'>Enregistrer</button>";
  var vendorList = "<p>Nos partenaires et leurs finalités.</p>" +
    "<label><input type='checkbox' name='vendor' checked> Régie Alpha (publicité)</label><br>" +
    "<label><input type='checkbox' name='vendor' checked> Beta Mesure (audience)</label><br>" +
    "<button type='button' data-back style='padding:10px 24px'>Retour</button> " +
    "<button type='button' data-save style='padding:10px 24px'>Enregistrer</button>";
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
      "background:#fff;border-top:2px solid #333;padding:1em;font:16px sans-serif;" +
      (kind === "narrow" ? "overflow:hidden" : ""));
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
    var box = layer(kind === "vendors" || unnamed ? purposes : settings, 10000);
    var list = null;
    function makeList() {
      list = layer(vendorList, 10001);
      list.id = "dark-vendors";
      list.style.display = "none";
      list.querySelector("[data-save]").addEventListener("click", save);
      list.querySelector("[data-back]").addEventListener("click", function () {
        list.style.display = "none";
      });
    }
    function ticked() {
      var on = box.querySelector("[name=audience]").checked;
      if (list) list.querySelectorAll("[name=vendor]").forEach(function (v) { on = on || v.checked; });
      return on;
    }
    function save() {
      if (list) list.remove();
      decide(ticked() ? "oui" : "non", box);
    }
    box.querySelector("[data-save]").addEventListener("click", save);
    var more = box.querySelector("[data-vendors]");
    if (unnamed) makeList();  // built hidden, named by the control's aria-controls
    if (more) more.addEventListener("click", function () {
      if (!list) makeList();
      list.style.display = "block";
      more.setAttribute("aria-expanded", "true");
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

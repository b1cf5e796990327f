/* "Telegram" channel widget — fake third party of the bandeau demo. */
(function () {
  "use strict";
  var ORIGIN = "__ORIGIN__";
  var YEAR = 395 * 86400;
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? m[1] : "";
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function stylesheet() {
    if (document.querySelector("link[data-tgw]")) return;
    var l = document.createElement("link");
    l.rel = "stylesheet";
    l.href = ORIGIN + "/widgets.css";
    l.setAttribute("data-tgw", "");
    document.head.appendChild(l);
  }
  var en = (document.documentElement.lang || "fr").slice(0, 2) === "en";
  var sid = cookie("_tg_session") || Math.random().toString(36).slice(2, 12);
  document.cookie = "_tg_session=" + sid + "; path=/; max-age=" + YEAR + "; samesite=lax";
  try {
    localStorage.setItem("tg_widget_state", JSON.stringify({ sid: sid, seen: Date.now() }));
  } catch (e) { /* storage may be off */ }
  stylesheet();
  var boxes = document.querySelectorAll("[data-tg-channel]");
  for (var i = 0; i < boxes.length; i++) {
    var box = boxes[i];
    var name = box.getAttribute("data-tg-channel");
    var card = el("div", "tgw");
    var head = el("div", "tgw-head");
    var avatar = el("img", "tgw-avatar");
    avatar.src = ORIGIN + "/avatar.svg";
    avatar.alt = "";
    avatar.width = 44;
    avatar.height = 44;
    var who = el("div", "tgw-who");
    who.appendChild(el("strong", "", box.getAttribute("data-tg-title") || name));
    var subs = en ? "18.2K subscribers" : "18,2\u00a0k abonnés";
    who.appendChild(el("span", "", "t.me/" + name + " · " + subs));
    head.appendChild(avatar);
    head.appendChild(who);
    card.appendChild(head);
    var posts = en
      ? ["Saône freight: the first cooperative barge left the Édouard-Herriot port this morning.",
         "Bike lanes: the Croix-Rousse tunnel stays open during the works.",
         "Tonight at 8 pm: live debate with the candidates of the 3rd district."]
      : ["Fret sur la Saône\u00a0: la première barge de la coopérative a quitté le port " +
           "Édouard-Herriot ce matin.",
         "Pistes cyclables\u00a0: le tunnel de la Croix-Rousse reste ouvert pendant les travaux.",
         "Ce soir à 20\u00a0h\u00a0: débat en direct avec les candidats du 3e arrondissement."];
    var list = el("ul", "tgw-posts");
    for (var j = 0; j < posts.length; j++) list.appendChild(el("li", "", posts[j]));
    card.appendChild(list);
    var join = el("a", "tgw-join", en ? "Join the channel" : "Rejoindre la chaîne");
    join.href = ORIGIN + "/join/" + encodeURIComponent(name);
    join.rel = "noopener";
    card.appendChild(join);
    var px = new Image(1, 1);
    px.alt = "";
    px.className = "tgw-px";
    px.src = ORIGIN + "/tg/pixel.gif?sid=" + sid + "&page=" + encodeURIComponent(location.pathname);
    card.appendChild(px);
    box.textContent = "";
    box.appendChild(card);
    box.setAttribute("data-tg-ready", "");
  }
})();

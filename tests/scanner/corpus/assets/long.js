// The same tracker, asking for a two-year cookie (AM-05 caps trackers at 13 months).
(function () {
  var id = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  document.cookie = "_trk_uid=" + id + "; max-age=" + 2 * 365 * 86400 + "; path=/";
})();

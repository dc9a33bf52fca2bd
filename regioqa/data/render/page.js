// regioqa digest: hovering, tapping or focusing an English sentence highlights its Chinese source.
(function () {
  "use strict";
  var current = [];
  function clear() {
    current.forEach(function (el) { el.classList.remove("hl"); });
    current = [];
  }
  function show(sent, scroll) {
    clear();
    var key = sent.getAttribute("data-src");
    var targets = document.querySelectorAll('.src[data-src="' + CSS.escape(key) + '"]');
    current = [sent].concat(Array.prototype.slice.call(targets));
    current.forEach(function (el) { el.classList.add("hl"); });
    if (scroll && targets.length) {
      var box = targets[0].closest(".zh");
      if (box && box.scrollHeight > box.clientHeight) {
        box.scrollTop = targets[0].offsetTop - box.offsetTop - box.clientHeight / 3;
      }
      var r = targets[0].getBoundingClientRect();
      if (r.top < 0 || r.bottom > window.innerHeight) { targets[0].scrollIntoView({block: "center"}); }
    }
  }
  document.querySelectorAll(".sent").forEach(function (sent) {
    sent.addEventListener("mouseenter", function () { show(sent, false); });
    sent.addEventListener("focus", function () { show(sent, true); });
    sent.addEventListener("click", function () { show(sent, true); });
    sent.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(sent, true); }
      if (e.key === "Escape") { clear(); sent.blur(); }
    });
  });
})();

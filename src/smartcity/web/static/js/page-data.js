// Page data for the scripts that follow: each <script type="application/json" data-global="NAME"> becomes
// window.NAME. JSON data blocks are never executed, so the Content-Security-Policy needs no inline script.
(function () {
  "use strict";
  var blocks = document.querySelectorAll('script[type="application/json"][data-global]');
  Array.prototype.forEach.call(blocks, function (block) {
    window[block.dataset.global] = JSON.parse(block.textContent);
  });
})();

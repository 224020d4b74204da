// Form behaviours without inline event handlers: a field marked data-submit-on-change submits its form.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-submit-on-change]"), function (field) {
    field.addEventListener("change", function () {
      if (field.form) { field.form.submit(); }
    });
  });
})();

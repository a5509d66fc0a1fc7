// The Business Console's forms. A payment model form shows only the fields of the chosen type:
// an element with data-types="3 4" is shown (and its inputs sent) only for those typeIDs. A
// product form reads the chosen image into its hidden "image" field as a data: URL (the API's
// byte64Image), with a preview.
(function () {
  "use strict";
  var type = document.getElementById("type_id");
  if (type) {
    var groups = document.querySelectorAll("[data-types]");
    var apply = function () {
      Array.prototype.forEach.call(groups, function (g) {
        var on = g.getAttribute("data-types").split(" ").indexOf(type.value) >= 0;
        g.hidden = !on;
        Array.prototype.forEach.call(g.querySelectorAll("input, select"), function (i) {
          i.disabled = !on;
        });
      });
    };
    type.addEventListener("change", apply);
    apply();
  }
  var file = document.getElementById("image_file");
  if (file) {
    var field = document.getElementById("image");
    var preview = document.getElementById("image_preview");
    file.addEventListener("change", function () {
      field.value = "";
      preview.hidden = true;
      var f = file.files && file.files[0];
      if (!f) return;
      var reader = new FileReader();
      reader.onload = function () {
        field.value = reader.result;
        preview.src = reader.result;
        preview.hidden = false;
      };
      reader.readAsDataURL(f);
    });
  }
})();

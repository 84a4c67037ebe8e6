// The pages' one script (served as /static/site.js: no inline scripts, see CSP).
// A field marked data-select-on-focus (e.g. a calendar link) is selected whole when focused.
document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-focus")) {
    field.select();
  }
});

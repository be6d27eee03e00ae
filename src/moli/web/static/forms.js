// 上传前检查文件大小：超过上限的表单不提交，已填写的内容都留在页面上（服务器的 413 页会让用户离开表单）。
// Upload sizes are checked before sending: a form over the limit is not submitted, so nothing typed is lost
// (the server's 413 answer would replace the page).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var limitMb = Number(document.body.getAttribute("data-max-upload-mb") || 0);
  if (!limitMb || !form.querySelectorAll) return;
  var total = 0;
  form.querySelectorAll("input[type=file]").forEach(function (input) {
    for (var i = 0; i < input.files.length; i++) total += input.files[i].size;
  });
  if (total <= limitMb * 1024 * 1024) return;
  event.preventDefault();
  var box = form.querySelector(".upload-too-large");
  if (!box) {
    box = document.createElement("div");
    box.className = "error upload-too-large";
    box.setAttribute("role", "alert");
    form.insertBefore(box, form.firstChild);
  }
  var mb = (total / 1048576).toFixed(1);
  box.innerHTML = "";
  var zh = document.createElement("p");
  zh.textContent = "所选文件共 " + mb + " MB，超过上限 " + limitMb + " MB，未提交；表单其余内容已保留。";
  var en = document.createElement("p");
  en.lang = "en";
  en.textContent = "The chosen files total " + mb + " MB, over the " + limitMb + " MB limit: nothing was sent, and the rest of the form is kept.";
  box.appendChild(zh);
  box.appendChild(en);
  box.scrollIntoView({block: "center"});
}, true);

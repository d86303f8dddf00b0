// The article body editor's own extensions (articles/models.py BODY_EDITOR_EXTENSIONS), loaded by
// django-prose-editor's "configurable" preset through DJANGO_PROSE_EDITOR_EXTENSIONS:
//
//   BulletinMenu   upstream's menu, with every tooltip and option in Chinese: upstream hard-codes
//                  them in English; they go through Django's JavaScript catalogue (djangojs.po)
//   BulletinTable  upstream's table, with a header-row toggle and a dialog without "Yes"/"No"
//   BodyImage      the 插入图片 button: upload an image with its alt text and caption, insert a figure
//
// Upstream's own dialogs already call window.gettext, which the admin's jsi18n script defines.
import {
  Extension,
  Menu,
  Table,
  crel,
  updateAttrsDialog,
} from "django-prose-editor/editor"

const gettext = window.gettext || ((text) => text)
const interpolate = window.interpolate || ((format, values) => format.replace("%s", values[0]))

// "heading 2" (a button) and "Heading 2" (an option) are built from the level upstream.
const HEADING = /^heading (\d)$/i

const translate = (text) => {
  const heading = HEADING.exec(text)
  return heading ? interpolate(gettext("Heading %s"), [heading[1]]) : gettext(text)
}

const relabel = (button, title) => {
  if (!button || !title) return
  button.title = title
  button.setAttribute("aria-label", title)
}

export const BulletinMenu = Menu.extend({
  addStorage() {
    const storage = this.parent?.()
    const { menu, buttons } = storage

    // Every item, upstream's or an extension's, is defined through here before the menu is built.
    const defineItem = menu.defineItem
    menu.defineItem = (definition) => {
      relabel(definition.button, translate(definition.button?.title || ""))
      if (definition.option?.textContent) {
        definition.option.textContent = translate(definition.option.textContent)
      }
      defineItem(definition)
    }

    // The block-type dropdown shows a bare "question_mark" icon when nothing in it is active.
    const material = buttons.material
    buttons.material = (icon, title = "") => {
      const button = material(icon, title)
      relabel(button, title ? translate(title) : icon === "question_mark" ? gettext("段落格式") : "")
      return button
    }
    return storage
  },
})

const tableDialog = updateAttrsDialog(
  {
    rows: { type: "number", title: gettext("Rows"), format: "number", default: "3", min: "1", max: "100" },
    cols: { type: "number", title: gettext("Columns"), format: "number", default: "3", min: "1", max: "100" },
    withHeaderRow: { type: "boolean", title: gettext("Include header row"), default: true },
  },
  { title: gettext("Table Properties"), submitText: gettext("Insert Table") },
)

const enclosingTable = (state) => {
  const { $from } = state.selection
  for (let depth = $from.depth; depth > 0; depth--) {
    if ($from.node(depth).type.name === "table") return $from.node(depth)
  }
  return null
}

// prosemirror-tables' toggleHeaderRow acts on the table's first row.
const hasHeaderRow = (state) => {
  const firstRow = enclosingTable(state)?.firstChild
  if (!firstRow?.childCount) return false
  let header = true
  firstRow.forEach((cell) => {
    if (cell.type.name !== "tableHeader") header = false
  })
  return header
}

const HEADER_ROW_ICON = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
  <rect x="3" y="3" width="18" height="18" rx="2"/>
  <rect x="3" y="3" width="18" height="6" rx="1" fill="currentColor" fill-opacity="0.5"/>
  <line x1="3" y1="15" x2="21" y2="15"/>
  <line x1="12" y1="9" x2="12" y2="21"/>
</svg>`

export const BulletinTable = Table.extend({
  addCommands() {
    return {
      ...this.parent?.(),
      // Upstream's dialog asks "Yes"/"No" in English, and compares the answer with "Yes".
      insertTableWithOptions:
        () =>
        ({ editor }) => {
          tableDialog(editor, { rows: "3", cols: "3", withHeaderRow: true }).then((attrs) => {
            if (!attrs) return
            editor
              .chain()
              .focus()
              .insertTable({
                rows: Number.parseInt(attrs.rows, 10) || 3,
                cols: Number.parseInt(attrs.cols, 10) || 3,
                withHeaderRow: attrs.withHeaderRow,
              })
              .run()
          })
          return true
        },
    }
  },

  addMenuItems(storage) {
    this.parent?.(storage)
    const { menu, buttons } = storage
    const button = buttons.svg(HEADER_ROW_ICON, gettext("设为表头行"))
    menu.defineItem({
      name: "table:toggleHeaderRow",
      groups: "table",
      button,
      command(editor) {
        editor.chain().focus().toggleHeaderRow().run()
      },
      active: (editor) => hasHeaderRow(editor.state),
      hidden: (editor) => !editor.isActive("table"),
      update(editor) {
        const on = hasHeaderRow(editor.state)
        relabel(button, on ? gettext("取消表头行") : gettext("设为表头行"))
        button.setAttribute("aria-pressed", String(on))
      },
    })
  },
})

const csrfToken = (editor) =>
  editor.view.dom.closest("form")?.querySelector("input[name=csrfmiddlewaretoken]")?.value || ""

// POSTs the file and its alt text to the admin (ArticleAdmin.body_image_upload); the image's URL,
// or an Error whose message is the server's (Chinese) reason.
const uploadImage = async (uploadUrl, editor, file, alt) => {
  const body = new FormData()
  body.append("image", file)
  body.append("alt", alt)
  let response
  try {
    response = await fetch(uploadUrl, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(editor), Accept: "application/json" },
    })
  } catch {
    throw new Error(gettext("上传失败：连不上服务器，请检查网络后再试。"))
  }
  const json = (response.headers.get("Content-Type") || "").includes("application/json")
  const data = json ? await response.json() : {}
  if (response.ok && data.url) return data.url
  if (data.error) throw new Error(data.error)
  if (response.status === 413) throw new Error(gettext("上传失败：图片文件太大。"))
  throw new Error(
    interpolate(gettext("上传失败（服务器答复 %s）：请刷新页面、重新登录后再试。"), [response.status]),
  )
}

// A dialog like upstream's (same classes, so the same look), with a file field, which theirs lacks,
// and room for the server's answer: a refused image keeps the dialog open with the reason.
const imageDialog = (editor, uploadUrl) =>
  new Promise((resolve) => {
    const field = (label, input) =>
      crel("div", { className: "prose-editor-dialog-field" }, [
        crel("label", { htmlFor: input.id, textContent: label }),
        input,
      ])
    const id = `bulletin-image-${Math.random().toString(36).slice(2)}`
    const file = crel("input", {
      id: `${id}-file`,
      name: "image",
      type: "file",
      accept: "image/jpeg,image/png,image/gif,image/webp",
      required: true,
    })
    const alt = crel("input", { id: `${id}-alt`, name: "alt", type: "text", size: 50, required: true })
    const caption = crel("input", { id: `${id}-caption`, name: "caption", type: "text", size: 50 })
    const error = crel("p", { className: "prose-editor-help bulletin-image-error", role: "alert" })
    const submit = crel("button", { type: "submit", textContent: gettext("上传并插入") })
    const cancel = crel("button", { type: "button", value: "cancel", textContent: gettext("Cancel") })
    const form = crel("form", {}, [
      crel("h3", { className: "prose-editor-dialog-title", textContent: gettext("插入图片") }),
      field(gettext("图片文件（JPEG、PNG、GIF 或 WebP）"), file),
      field(gettext("替代文字（必填：给看不到图片的读者）"), alt),
      field(gettext("图注（印在图片下方，可不填）"), caption),
      error,
      crel("div", { className: "prose-editor-dialog-buttons" }, [submit, cancel]),
    ])
    const dialog = crel("dialog", { className: "prose-editor-dialog" }, [form])
    const wrapper = crel("div", {}, [dialog])
    editor.view.dom.parentElement.append(wrapper)

    cancel.addEventListener("click", () => dialog.close())
    dialog.addEventListener("close", () => {
      wrapper.remove()
      resolve(null)
    })
    form.addEventListener("submit", async (event) => {
      // This form sits inside the admin's change form: its submit must not reach that one.
      event.preventDefault()
      event.stopPropagation()
      // Spaces are no alt text: the required attribute alone would let them through.
      alt.setCustomValidity(alt.value.trim() ? "" : gettext("请填写替代文字。"))
      if (!form.reportValidity()) return
      submit.disabled = true
      error.textContent = gettext("正在上传…")
      try {
        const src = await uploadImage(uploadUrl, editor, file.files[0], alt.value.trim())
        wrapper.remove()
        resolve({ src, alt: alt.value.trim(), caption: caption.value.trim() })
      } catch (problem) {
        error.textContent = problem.message
        submit.disabled = false
      }
    })
    dialog.showModal()
  })

export const BodyImage = Extension.create({
  name: "bodyImage",

  addOptions() {
    return { uploadUrl: null }
  },

  addCommands() {
    return {
      uploadBodyImage:
        () =>
        ({ editor }) => {
          imageDialog(editor, this.options.uploadUrl).then((image) => {
            if (!image) return
            const content = [{ type: "image", attrs: { src: image.src, alt: image.alt } }]
            if (image.caption) {
              content.push({ type: "caption", content: [{ type: "text", text: image.caption }] })
            }
            editor.chain().focus().insertContent({ type: "figure", content }).run()
          })
          return true
        },
    }
  },

  addMenuItems({ menu, buttons }) {
    menu.defineItem({
      name: "bodyImage:upload",
      groups: "nodes",
      button: buttons.material("add_photo_alternate", gettext("插入图片（上传）")),
      command(editor) {
        editor.commands.uploadBodyImage()
      },
    })
    // Upstream's figure button inserts an image by its address, which is refused on saving unless
    // it is one of ours: here it only edits the alt text of an image already in the body.
    menu.defineItem({
      name: "figure",
      groups: "nodes",
      button: buttons.material("edit_attributes", gettext("编辑图片")),
      command(editor) {
        editor.chain().focus().editImage().run()
      },
      hidden: (editor) => !(editor.isActive("figure") || editor.isActive("image")),
    })
  },
})

// The article body editor's own extensions (articles/models.py BODY_EDITOR_EXTENSIONS), loaded by
// django-prose-editor's "configurable" preset through DJANGO_PROSE_EDITOR_EXTENSIONS:
//
//   BulletinMenu   upstream's menu, with every tooltip and option in Chinese: upstream hard-codes
//                  them in English; they go through Django's JavaScript catalogue (djangojs.po)
//   BulletinTable  upstream's table, with a header-row toggle and a dialog without "Yes"/"No"
//
// Upstream's own dialogs already call window.gettext, which the admin's jsi18n script defines.
import {
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

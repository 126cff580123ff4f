-- One pandoc process per build: parse every rich-text field as Markdown,
-- gather them in print order into one document, run citeproc over it (so
-- "ibid.", short forms and disambiguation see the whole briefing) and write
-- the result as pandoc JSON. Input is JSON on stdin; see richtext.py.
local input = pandoc.json.decode(io.read("a"), false)

local blocks = pandoc.Blocks({})
for _, field in ipairs(input.fields) do
  local doc = pandoc.read(field.text, input.formats[field.mode])
  blocks:insert(pandoc.Div(doc.blocks, pandoc.Attr(field.key)))
end
blocks:insert(pandoc.Div({}, pandoc.Attr("refs")))

local refs = pandoc.read(input.references, "csljson").meta.references or {}
local meta = {
  references = refs,
  csl = input.csl,
  lang = input.lang,
  ["link-citations"] = true,
  ["link-bibliography"] = true,
  nocite = pandoc.Inlines({ pandoc.Cite({ pandoc.Str("@*") }, { pandoc.Citation("*", "NormalCitation") }) }),
}
local doc = pandoc.utils.citeproc(pandoc.Pandoc(blocks, meta))
doc.meta = {}
io.write(pandoc.write(doc, "json"))

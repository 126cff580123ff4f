-- One pandoc process per build: parse every rich-text field as Markdown,
-- gather them in print order into one document, run citeproc over it (so
-- "ibid.", short forms and disambiguation see the whole briefing) and write
-- the result as pandoc JSON. Input is JSON on stdin; see pandoc.py.
local input = pandoc.json.decode(io.read("a"), false)

-- Reading each field with its own pandoc.read() costs ~5 ms a field with our
-- extension set; reading all fields of one format as one document, split
-- at marker paragraphs, costs a tenth of that. The marker carries a nonce the
-- content cannot know. If a field's Markdown swallowed a marker (an unclosed
-- code fence, say), the split is wrong and we read field by field instead.
local marker = "DOSSIERFIELD" .. input.nonce .. "K"

local function read_each(fields, format, out)
  for _, f in ipairs(fields) do
    out[f.key] = pandoc.read(f.text, format).blocks
  end
end

local function read_together(fields, format, out)
  local parts = {}
  for _, f in ipairs(fields) do
    parts[#parts + 1] = marker .. f.key .. "\n\n" .. f.text
  end
  local blocks = pandoc.read(table.concat(parts, "\n\n"), format).blocks
  local found, order, current = {}, {}, nil
  for _, b in ipairs(blocks) do
    local c = b.content
    if b.t == "Para" and #c == 1 and c[1].t == "Str" and c[1].text:sub(1, #marker) == marker then
      current = c[1].text:sub(#marker + 1)
      found[current] = pandoc.Blocks({})
      order[#order + 1] = current
    elseif current then
      found[current]:insert(b)
    else
      return false
    end
  end
  if #order ~= #fields then return false end
  for i, f in ipairs(fields) do
    if order[i] ~= f.key then return false end
  end
  for key, value in pairs(found) do out[key] = value end
  return true
end

local by_format, parsed = {}, {}
for _, f in ipairs(input.fields) do
  local format = input.formats[f.mode]
  by_format[format] = by_format[format] or {}
  table.insert(by_format[format], f)
end
for format, fields in pairs(by_format) do
  if not read_together(fields, format, parsed) then
    read_each(fields, format, parsed)
  end
end

-- richtext.py caps nesting before pandoc runs (markup.py); what slips through (nested
-- quotes, say) is refused here: a field nested deeper than `max_depth` levels of JSON is
-- replaced by an empty Div marked "too-deep", so neither citeproc nor Python's JSON reader
-- and renderer (which recurse) ever see it.
local function too_deep(value, limit)
  local s = pandoc.json.encode(value):gsub('\\.', ''):gsub('"[^"]*"', '')
  local depth = 0
  for ch in s:gmatch('[%[%]{}]') do
    if ch == '[' or ch == '{' then
      depth = depth + 1
      if depth > limit then return true end
    else
      depth = depth - 1
    end
  end
  return false
end

local blocks = pandoc.Blocks({})
for _, f in ipairs(input.fields) do
  if too_deep(parsed[f.key], input.max_depth) then
    blocks:insert(pandoc.Div({}, pandoc.Attr(f.key, { "too-deep" })))
  else
    blocks:insert(pandoc.Div(parsed[f.key], pandoc.Attr(f.key)))
  end
end
blocks:insert(pandoc.Div({}, pandoc.Attr("refs")))

local refs = pandoc.read(input.references, "csljson").meta.references or pandoc.List({})

-- A .bib is read by pandoc's own BibTeX reader and its references used as they are, as
-- `pandoc --citeproc --bibliography x.bib` does: a CSL-JSON round trip would lose what that
-- reader keeps (`{{Title}}` protected from title case, TeX math). The reader takes the
-- language for English titles' sentence case from LANG, set here to the dossier's.
-- URL and DOI are trimmed as BibTeX trims them; an empty one is left out (pandoc would
-- make an empty link of it).
for _, text in ipairs(input.bibtex) do
  local bib = pandoc.system.with_environment({ LANG = input.bibtex_lang }, function()
    return pandoc.read(text, "biblatex")
  end)
  for _, ref in ipairs(bib.meta.references or {}) do
    for _, name in ipairs({ "url", "URL", "doi", "DOI" }) do
      if type(ref[name]) == "string" then
        ref[name] = ref[name]:match("^%s*(.-)%s*$")
        if ref[name] == "" then ref[name] = nil end
      end
    end
    refs:insert(ref)
  end
end

local meta = {
  references = refs,
  csl = input.csl,
  lang = input.lang,
  ["link-citations"] = true,
  ["link-bibliography"] = true,
  nocite = pandoc.Inlines({ pandoc.Cite({ pandoc.Str("@*") }, { pandoc.Citation("*", "NormalCitation") }) }),
}
local doc = pandoc.utils.citeproc(pandoc.Pandoc(blocks, meta))

-- With link-citations, citeproc wraps a note's reference in a Link and adds
-- the closing period after it, so the locale's rule that moves "." and ","
-- inside closing quotes (en-US) never sees the quote: “Title”. instead of
-- “Title.” Apply the rule across the Link, as pandoc does without links.
local function last_str(el)
  -- the last Str of an inline, looking into the last child of Links, Spans, Emph ...
  while el and el.t ~= "Str" do
    if el.t == "Quoted" then return nil end
    if not el.content or #el.content == 0 then return nil end
    el = el.content[#el.content]
  end
  return el
end

local function punctuation_into_quotes(inlines)
  for i = 1, #inlines - 1 do
    local link, after = inlines[i], inlines[i + 1]
    if link.t == "Link" and after.t == "Str" then
      local mark = after.text:match("^[.,]")
      local last = mark and last_str(link)
      if last and (last.text:sub(-3) == "”" or last.text:sub(-3) == "’") then
        last.text = last.text:sub(1, -4) .. mark .. last.text:sub(-3)
        after.text = after.text:sub(2)
      end
    end
  end
  return inlines
end
if input.punctuation_in_quote then
  doc = doc:walk({ Inlines = punctuation_into_quotes })
end

-- TeX math (only a .bib can hold it: Markdown fields are read without tex_math) is
-- printed as pandoc's HTML writer prints it: texmath's Unicode and inline markup
-- (β, 𝒫𝒯, x with sub- and superscripts), or the TeX itself where texmath cannot convert
-- it. All of a document's math goes through one HTML write and read.
local maths = {}
doc:walk({ Math = function(m) maths[#maths + 1] = pandoc.Para({ m }) end })
if #maths > 0 then
  local back = pandoc.read(pandoc.write(pandoc.Pandoc(maths), "html"), "html").blocks
  local function unwrap(inlines)
    local out = pandoc.Inlines({})
    for _, il in ipairs(inlines) do
      if il.t == "Span" then out:extend(unwrap(il.content)) else out:insert(il) end
    end
    return out
  end
  local n = 0
  doc = doc:walk({
    Math = function(m)
      n = n + 1
      local b = back[n]
      if #back ~= #maths or not b or b.t ~= "Para" then return pandoc.Str(m.text) end
      return unwrap(b.content)
    end,
  })
end
doc.meta = {}
io.write(pandoc.write(doc, "json"))

"""`{% responsive_image %}`: a stored image with its real size and smaller copies, in a slot of N px."""

from django import template

from issues.images import ResponsiveImage, responsive_img

register = template.Library()


@register.simple_tag
def responsive_image(image, slot, sizes="", lazy=False, **attributes):
    """`image` (an `issues.images.ResponsiveImage`: `issue.cover_image`, `article.lead_image`) as an <img>
    for a slot `slot` CSS pixels wide; `sizes` when the slot is not simply that wide (default: `slot` px,
    at most the viewport); `lazy=True` below the fold; other keywords (alt, class) become attributes.
    Nothing for None, so `{% responsive_image issue.cover_image 256 class="cover" %}` needs no `if`."""
    if not isinstance(image, ResponsiveImage):
        return ""
    return responsive_img(image, slot=int(slot), sizes=sizes, lazy=lazy, **attributes)

"""The brand kit: brand styles (reference images → a Recraft style_id) and palettes."""

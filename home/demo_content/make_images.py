#!/usr/bin/env python3
"""Generate the demo illustrations for Torino Partecipa.

Abstract flat illustrations (no text), 1600x900 JPEG, drawn with Pillow.
Run from anywhere:  python make_images.py
Output goes to the ``images`` folder next to this script.
Drawing is deterministic (fixed random seeds), so re-running gives the same files.
"""

import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

OUT_DIR = Path(__file__).resolve().parent / "images"
W, H = 1600, 900
S = 2  # supersampling factor for smooth edges
QUALITY = 82

# Palette built around the Italian public design blue
BLUE = (0, 102, 204)  # #0066CC
BLUE_DARK = (0, 64, 133)
BLUE_MID = (64, 140, 220)
BLUE_LIGHT = (204, 224, 245)
BLUE_PALE = (232, 241, 251)
GREEN_DARK = (36, 110, 60)
GREEN = (67, 160, 71)
GREEN_LIGHT = (165, 214, 167)
GREEN_PALE = (214, 236, 214)
ORANGE = (244, 162, 97)
CORAL = (231, 111, 81)
YELLOW = (255, 200, 87)
CREAM = (248, 245, 236)
STEEL = (92, 107, 122)
STEEL_DARK = (60, 70, 82)
RUST = (170, 92, 60)
WHITE = (255, 255, 255)


def s(v):
    """Scale a coordinate/length from output pixels to canvas pixels."""
    return int(round(v * S))


def pts(points):
    return [(s(x), s(y)) for x, y in points]


def new_canvas(color=WHITE):
    img = Image.new("RGB", (W * S, H * S), color)
    return img, ImageDraw.Draw(img)


def vertical_gradient(img, top, bottom, y0=0, y1=H):
    d = ImageDraw.Draw(img)
    a, b = s(y0), s(y1)
    for y in range(a, b):
        t = (y - a) / max(1, b - a - 1)
        c = tuple(int(top[i] + (bottom[i] - top[i]) * t) for i in range(3))
        d.line([(0, y), (W * S, y)], fill=c)


def bezier(p0, p1, p2, p3, n=60):
    out = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        x = u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0]
        y = u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]
        out.append((x, y))
    return out


def ellipse(d, cx, cy, rx, ry, fill):
    d.ellipse([s(cx - rx), s(cy - ry), s(cx + rx), s(cy + ry)], fill=fill)


def rect(d, x0, y0, x1, y1, fill, r=0):
    if r:
        d.rounded_rectangle([s(x0), s(y0), s(x1), s(y1)], radius=s(r), fill=fill)
    else:
        d.rectangle([s(x0), s(y0), s(x1), s(y1)], fill=fill)


def mix(c1, c2, t):
    return tuple(int(c1[i] + (c2[i] - c1[i]) * t) for i in range(3))


def save(img, name):
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = img.resize((W, H), Image.LANCZOS)
    path = OUT_DIR / name
    out.save(path, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    print(f"{path}  {path.stat().st_size // 1024} KB")


def tree(d, x, y, size, crown, trunk=(110, 80, 55)):
    rect(d, x - size * 0.07, y - size * 0.9, x + size * 0.07, y, trunk)
    ellipse(d, x, y - size * 1.05, size * 0.45, size * 0.5, crown)
    ellipse(d, x - size * 0.18, y - size * 0.95, size * 0.3, size * 0.33, mix(crown, WHITE, 0.12))


# ---------------------------------------------------------------- Parco Dora
def parco_dora():
    img, d = new_canvas()
    vertical_gradient(img, BLUE_PALE, (250, 246, 232), 0, 560)
    d = ImageDraw.Draw(img)
    # sun
    ellipse(d, 1320, 170, 80, 80, (255, 224, 150))
    ellipse(d, 1320, 170, 58, 58, YELLOW)
    # distant city blocks
    rnd = random.Random(7)
    x = 0
    while x < W:
        w = rnd.randint(50, 120)
        h = rnd.randint(60, 170)
        rect(d, x, 520 - h, x + w - 6, 540, mix(BLUE_LIGHT, BLUE_PALE, 0.2))
        x += w
    # cooling tower (hyperboloid silhouette)
    cx, base, top = 330, 540, 250
    left, right = [], []
    for i in range(41):
        t = i / 40
        y = base - (base - top) * t
        half = 95 - 50 * math.sin(math.pi * t * 0.85) + 10 * t
        left.append((cx - half, y))
        right.append((cx + half, y))
    d.polygon(pts(left + right[::-1]), fill=mix(STEEL, BLUE_LIGHT, 0.45))
    rect(d, cx - 62, 250, cx + 62, 262, mix(STEEL, BLUE_LIGHT, 0.25))
    # ground
    d.polygon(
        pts([(0, 560)] + bezier((0, 560), (500, 500), (1100, 590), (1600, 530)) + [(1600, 900), (0, 900)]),
        fill=GREEN_LIGHT,
    )
    d.polygon(
        pts(bezier((0, 650), (450, 600), (1000, 700), (1600, 640)) + [(1600, 900), (0, 900)]),
        fill=mix(GREEN_LIGHT, GREEN, 0.35),
    )
    # river: a curving band
    upper = bezier((-20, 760), (400, 690), (900, 860), (1620, 700), 80)
    lower = bezier((1620, 800), (900, 960), (400, 790), (-20, 870), 80)
    d.polygon(pts(upper + lower), fill=BLUE_MID)
    hl = bezier((100, 790), (450, 740), (850, 880), (1400, 770), 80)
    d.line(pts(hl), fill=BLUE_LIGHT, width=s(5))
    # steel pillars (stylised "Strippaggio")
    for i, px in enumerate(range(640, 1240, 75)):
        ph = 300 + (i % 3) * 18
        ground = 585 + (px - 640) * 0.02
        rect(d, px, ground - ph, px + 30, ground, RUST if i % 2 else mix(RUST, STEEL_DARK, 0.35))
        rect(d, px - 8, ground - ph - 12, px + 38, ground - ph, STEEL_DARK)
        rect(d, px + 22, ground - ph, px + 30, ground, mix(RUST, STEEL_DARK, 0.55))
    # roof beams on top of the pillars
    rect(d, 630, 262, 1250, 274, STEEL_DARK)
    # paths
    path = bezier((-10, 700), (250, 640), (480, 690), (760, 630), 60)
    for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
        d.line([(s(x0), s(y0)), (s(x1), s(y1))], fill=CREAM, width=s(16))
    # trees
    rnd = random.Random(3)
    for x, y, size in [
        (90, 640, 120),
        (190, 620, 90),
        (560, 650, 110),
        (1330, 620, 130),
        (1450, 600, 100),
        (1540, 640, 120),
        (470, 612, 80),
        (1260, 640, 90),
    ]:
        tree(d, x, y, size, rnd.choice([GREEN, GREEN_DARK, mix(GREEN, GREEN_DARK, 0.5)]))
    # small foreground bushes
    for x in range(40, W, 140):
        ellipse(d, x, 890, 70, 34, GREEN_DARK)
    save(img, "parco-dora.jpg")


# ---------------------------------------------------------------- AxTO
def axto():
    img, d = new_canvas()
    vertical_gradient(img, BLUE_DARK, BLUE, 0, 900)
    d = ImageDraw.Draw(img)
    # spotlights
    beam = Image.new("RGB", img.size, (0, 0, 0))
    bd = ImageDraw.Draw(beam)
    for sx, tx, col in [(260, 620, (255, 230, 160)), (1340, 980, (255, 210, 190)), (800, 800, (230, 240, 255))]:
        bd.polygon(pts([(sx - 14, 0), (sx + 14, 0), (tx + 200, 640), (tx - 200, 640)]), fill=tuple(c // 4 for c in col))
    beam = beam.filter(ImageFilter.GaussianBlur(s(12)))
    img = Image.composite(
        Image.blend(img, Image.new("RGB", img.size, (255, 235, 190)), 0.35),
        img,
        beam.convert("L").point(lambda v: min(255, v * 3)),
    )
    d = ImageDraw.Draw(img)
    # curtains
    for side in (0, 1):
        for k in range(4):
            w = 60
            x0 = k * w if side == 0 else W - (k + 1) * w
            col = mix(CORAL, (150, 40, 40), 0.15 + 0.15 * (k % 2))
            hem = 700 - k * 70
            d.polygon(pts([(x0, 0), (x0 + w, 0), (x0 + w + (18 if side == 0 else -18), hem), (x0, hem + 20)]), fill=col)
    # valance
    for i in range(0, W, 100):
        ellipse(d, i + 50, 30, 60, 45, CORAL)
    rect(d, 0, 0, W, 40, mix(CORAL, (150, 40, 40), 0.3))
    # floating culture shapes: circles, arches, triangles, bars
    ellipse(d, 560, 250, 70, 70, YELLOW)
    ellipse(d, 560, 250, 34, 34, BLUE_DARK)
    d.pieslice([s(960), s(160), s(1160), s(360)], 180, 360, fill=GREEN_LIGHT)
    d.polygon(pts([(760, 330), (850, 180), (940, 330)]), fill=ORANGE)
    for i, h in enumerate([60, 110, 80, 140, 95]):
        rect(d, 1180 + i * 30, 380 - h, 1200 + i * 30, 380, WHITE if i % 2 else BLUE_LIGHT, r=8)
    ellipse(d, 410, 420, 26, 26, GREEN_LIGHT)
    ellipse(d, 1010, 430, 18, 18, YELLOW)
    # musical staff-like wave
    wave = [(x, 470 + 18 * math.sin(x / 45)) for x in range(300, 1300, 6)]
    d.line(pts(wave), fill=mix(WHITE, BLUE, 0.35), width=s(4))
    # stage
    rect(d, 0, 640, W, 900, (60, 44, 40))
    d.polygon(pts([(120, 600), (1480, 600), (1560, 660), (40, 660)]), fill=(150, 105, 70))
    rect(d, 40, 660, 1560, 690, (110, 75, 52))
    # suburban skyline silhouette in front of the stage
    rnd = random.Random(11)
    x = -20
    while x < W:
        w = rnd.randint(110, 210)
        h = rnd.randint(110, 230)
        col = rnd.choice([BLUE_DARK, mix(BLUE_DARK, STEEL_DARK, 0.5), (30, 52, 90)])
        top = 900 - h
        rect(d, x, top, x + w - 8, 900, col)
        for wy in range(int(top) + 22, 880, 34):
            for wx in range(x + 14, x + w - 30, 28):
                if rnd.random() < 0.45:
                    rect(d, wx, wy, wx + 12, wy + 16, YELLOW if rnd.random() < 0.7 else ORANGE)
        x += w
    save(img, "axto.jpg")


# ---------------------------------------------------------------- Segnalazioni
def segnalazioni():
    img, d = new_canvas(CREAM)
    d = ImageDraw.Draw(img)
    # city blocks on a slightly rotated grid
    block = Image.new("RGB", (s(2400), s(1800)), (236, 232, 222))
    bd = ImageDraw.Draw(block)
    rnd = random.Random(5)
    step_x, step_y, road = 190, 150, 26
    for gx in range(0, 2400, step_x):
        for gy in range(0, 1800, step_y):
            r = rnd.random()
            col = GREEN_PALE if r < 0.12 else (BLUE_PALE if r < 0.2 else (250, 248, 242))
            bd.rounded_rectangle([s(gx + road), s(gy + road), s(gx + step_x), s(gy + step_y)], radius=s(10), fill=col)
            if col == GREEN_PALE:
                for _ in range(3):
                    tx = gx + road + rnd.randint(25, step_x - road - 25)
                    ty = gy + road + rnd.randint(25, step_y - road - 25)
                    bd.ellipse([s(tx - 14), s(ty - 14), s(tx + 14), s(ty + 14)], fill=GREEN_LIGHT)
    # a main avenue and a diagonal street
    bd.line([(s(0), s(900)), (s(2400), s(900))], fill=WHITE, width=s(46))
    bd.line([(s(300), s(1800)), (s(1900), s(0))], fill=WHITE, width=s(40))
    block = block.rotate(-12, resample=Image.BICUBIC, expand=False)
    left = (block.width - W * S) // 2
    top = (block.height - H * S) // 2
    img.paste(block.crop((left, top, left + W * S, top + H * S)), (0, 0))
    d = ImageDraw.Draw(img)
    # river crossing the map
    upper = bezier((-20, 120), (500, 260), (900, 40), (1620, 180), 80)
    lower = bezier((1620, 240), (900, 100), (500, 320), (-20, 190), 80)
    d.polygon(pts(upper + lower), fill=BLUE_LIGHT)
    # route to the pin
    route = [(260, 760), (520, 700), (610, 560), (900, 520)]
    for (x0, y0), (x1, y1) in zip(route, route[1:], strict=False):
        n = int(math.hypot(x1 - x0, y1 - y0) // 26)
        for i in range(0, n, 2):
            a, b = i / n, (i + 1) / n
            d.line(
                [(s(x0 + (x1 - x0) * a), s(y0 + (y1 - y0) * a)), (s(x0 + (x1 - x0) * b), s(y0 + (y1 - y0) * b))],
                fill=BLUE_MID,
                width=s(8),
            )
    ellipse(d, 260, 760, 16, 16, BLUE_MID)
    # small secondary markers (other reports, in warm tones)
    for mx, my, col in [(1240, 300, ORANGE), (1320, 680, GREEN), (420, 380, CORAL), (1130, 780, ORANGE)]:
        ellipse(d, mx, my + 4, 20, 7, (200, 195, 185))
        ellipse(d, mx, my - 22, 20, 20, col)
        d.polygon(pts([(mx - 17, my - 14), (mx + 17, my - 14), (mx, my)]), fill=col)
        ellipse(d, mx, my - 22, 8, 8, WHITE)
    # main pin with pulse rings
    cx, cy = 900, 520
    for r, c in [(150, mix(BLUE, CREAM, 0.88)), (105, mix(BLUE, CREAM, 0.78)), (62, mix(BLUE, CREAM, 0.6))]:
        ellipse(d, cx, cy, r, r * 0.38, c)
    ellipse(d, cx, cy, 26, 9, (120, 120, 120))
    head_cy, rr = cy - 150, 82
    d.polygon(pts([(cx - 72, head_cy + 38), (cx + 72, head_cy + 38), (cx, cy)]), fill=BLUE)
    ellipse(d, cx, head_cy, rr, rr, BLUE)
    ellipse(d, cx, head_cy, 34, 34, WHITE)
    save(img, "segnalazioni.jpg")


# ---------------------------------------------------------------- Torino
def torino():
    img, d = new_canvas()
    vertical_gradient(img, (178, 212, 242), (252, 236, 214), 0, 700)
    d = ImageDraw.Draw(img)
    # Alps
    peaks = [
        (-60, 470),
        (120, 230),
        (260, 360),
        (420, 190),
        (600, 340),
        (760, 160),
        (930, 320),
        (1100, 210),
        (1260, 330),
        (1420, 180),
        (1600, 300),
        (1700, 470),
    ]
    d.polygon(pts(peaks + [(1700, 600), (-60, 600)]), fill=(150, 180, 214))
    for i in range(1, len(peaks) - 1):
        px, py = peaks[i]
        lx, ly = peaks[i - 1]
        rx, ry = peaks[i + 1]
        t = 0.28
        a = (px + (lx - px) * t, py + (ly - py) * t)
        b = (px + (rx - px) * t, py + (ry - py) * t)
        d.polygon(
            pts([(px, py), b, ((px + b[0]) / 2, b[1] + 14), (px, a[1] - 6), ((px + a[0]) / 2, a[1] + 12), a]),
            fill=WHITE,
        )
    # hills with a domed basilica on top (right)
    d.polygon(
        pts(bezier((900, 600), (1100, 430), (1450, 420), (1700, 560)) + [(1700, 700), (900, 700)]),
        fill=mix(GREEN, BLUE_LIGHT, 0.45),
    )
    bx, by = 1290, 458
    rect(d, bx - 45, by - 30, bx + 45, by + 10, mix(GREEN_DARK, BLUE_LIGHT, 0.35))
    d.pieslice([s(bx - 26), s(by - 60), s(bx + 26), s(by - 8)], 180, 360, fill=mix(GREEN_DARK, BLUE_LIGHT, 0.35))
    rect(d, bx - 3, by - 80, bx + 3, by - 55, mix(GREEN_DARK, BLUE_LIGHT, 0.35))
    # city skyline: back row
    rnd = random.Random(21)
    x = 0
    while x < W:
        w = rnd.randint(60, 130)
        h = rnd.randint(60, 160)
        rect(d, x, 660 - h, x + w - 4, 780, mix(BLUE, BLUE_LIGHT, 0.55))
        x += w
    # Mole-like spire
    mx, base = 720, 700
    col = BLUE_DARK
    rect(d, mx - 110, base - 150, mx + 110, base + 60, col)  # base block
    rect(d, mx - 90, base - 200, mx + 90, base - 150, col)  # drum
    dome = []
    for i in range(41):  # tall curved dome
        t = i / 40
        y = base - 200 - 210 * t
        half = 90 * (1 - t) ** 0.75 + 14 * t
        dome.append((mx - half, y))
    d.polygon(pts(dome + [(2 * mx - x_, y_) for x_, y_ in dome[::-1]]), fill=col)
    rect(d, mx - 26, base - 470, mx + 26, base - 405, col)  # lantern
    rect(d, mx - 32, base - 476, mx + 32, base - 466, col)
    d.polygon(pts([(mx - 16, base - 476), (mx + 16, base - 476), (mx, base - 690)]), fill=col)  # spire
    ellipse(d, mx, base - 694, 6, 6, col)
    for wx in range(mx - 90, mx + 91, 30):  # colonnade
        rect(d, wx - 6, base - 135, wx + 6, base - 20, mix(col, BLUE, 0.5))
    # front row buildings
    x = 0
    while x < W:
        w = rnd.randint(80, 170)
        h = rnd.randint(90, 200)
        if abs(x + w / 2 - mx) < 180:
            x += w
            continue
        c = rnd.choice([BLUE, mix(BLUE, BLUE_DARK, 0.5)])
        rect(d, x, 760 - h, x + w - 6, 780, c)
        for wy in range(760 - h + 20, 750, 30):
            for wx in range(x + 14, x + w - 24, 26):
                if rnd.random() < 0.35:
                    rect(d, wx, wy, wx + 10, wy + 14, mix(c, WHITE, 0.45))
        x += w
    # river Po and embankment
    rect(d, 0, 760, W, 900, BLUE_MID)
    for y, x0, x1 in [(795, 120, 520), (830, 700, 1200), (865, 260, 640), (812, 1280, 1520)]:
        rect(d, x0, y, x1, y + 5, BLUE_LIGHT, r=2)
    rect(d, 0, 752, W, 766, mix(GREEN, GREEN_DARK, 0.4))
    for tx in range(40, W, 120):
        ellipse(d, tx, 745, 36, 26, GREEN_DARK)
    save(img, "torino.jpg")


# ---------------------------------------------------------------- Parco Dora layout options (plan views)
def layout_base():
    img, d = new_canvas(GREEN_PALE)
    # the Dora river along the bottom and the steel pillars hall on the left
    d.line(pts(bezier((0, 780), (500, 700), (1100, 880), (1600, 760))), fill=BLUE_MID, width=s(70))
    rect(d, 60, 80, 360, 420, STEEL, r=12)
    for i in range(5):
        for j in range(3):
            rect(d, 90 + i * 55, 110 + j * 100, 110 + i * 55, 150 + j * 100, STEEL_DARK)
    return img, d


def layout_meadow():
    img, d = layout_base()
    ellipse(d, 950, 380, 430, 230, GREEN_LIGHT)  # one large central meadow
    d.line(pts(bezier((420, 650), (700, 520), (1200, 620), (1550, 420))), fill=CREAM, width=s(26))
    for x, y in [(560, 160), (640, 120), (1350, 170), (1450, 240), (1480, 560), (520, 600)]:
        ellipse(d, x, y, 45, 45, GREEN)
    save(img, "layout-meadow.jpg")


def layout_gardens():
    img, d = layout_base()
    for i, colour in enumerate([GREEN_LIGHT, YELLOW, GREEN_LIGHT, CORAL, GREEN_LIGHT, ORANGE]):
        x, y = 480 + (i % 3) * 340, 120 + (i // 3) * 260
        rect(d, x, y, x + 280, y + 200, colour, r=20)
    d.line(pts([(440, 360), (1560, 360)]), fill=CREAM, width=s(24))
    d.line(pts([(800, 90), (800, 640)]), fill=CREAM, width=s(24))
    d.line(pts([(1140, 90), (1140, 640)]), fill=CREAM, width=s(24))
    save(img, "layout-gardens.jpg")


def layout_sports():
    img, d = layout_base()
    rect(d, 480, 110, 900, 380, ORANGE, r=10)  # courts
    d.line(pts([(690, 110), (690, 380)]), fill=WHITE, width=s(6))
    rect(d, 980, 110, 1520, 380, GREEN, r=10)  # playing field
    ellipse(d, 1250, 245, 60, 60, GREEN_LIGHT)
    rect(d, 560, 450, 1400, 640, BLUE_LIGHT, r=60)  # events square
    ellipse(d, 980, 545, 90, 60, BLUE)
    save(img, "layout-sports.jpg")


if __name__ == "__main__":
    layout_meadow()
    layout_gardens()
    layout_sports()
    parco_dora()
    axto()
    segnalazioni()
    torino()

import type { CategoryImport, ProductImportItem } from '@app/catalog';

/** The demo catalog: categories (by slug) and products (by SKU). Prices in cents, store currency. */
export type SeedCategory = CategoryImport;
export type SeedProduct = ProductImportItem;

export const SEED_CATEGORIES: SeedCategory[] = [
  { slug: 'kitchen', name: 'Kitchen' },
  { slug: 'coffee-tea', name: 'Coffee & Tea', parent: 'kitchen' },
  { slug: 'home-office', name: 'Home Office' },
  { slug: 'audio', name: 'Audio' },
  { slug: 'outdoor', name: 'Outdoor' },
  { slug: 'fitness', name: 'Fitness' },
  { slug: 'books', name: 'Books' },
  { slug: 'toys-games', name: 'Toys & Games' },
  { slug: 'bath', name: 'Bath' },
  { slug: 'lighting', name: 'Lighting' },
];

type Row = [name: string, description: string, priceCents: number, stock: number];

const ROWS: Record<string, Row[]> = {
  kitchen: [
    ['Cast iron skillet 26 cm', 'Pre-seasoned cast iron pan that goes from hob to oven; holds heat for perfect searing.', 3990, 40],
    ['Chef knife 20 cm', 'Forged stainless steel blade with a full tang and a riveted walnut handle.', 7900, 25],
    ['Bamboo cutting board', 'Large end-grain bamboo board with a juice groove; gentle on knife edges.', 2490, 60],
    ['Stainless mixing bowls (set of 3)', 'Nesting bowls of 1.5, 3 and 5 litres with non-slip silicone bases.', 2990, 35],
    ['Digital kitchen scale', 'Weighs up to 5 kg in 1 g steps, with tare function and a wipe-clean glass top.', 1990, 80],
    ['Enamelled Dutch oven 5 l', 'Heavy enamelled cast iron pot for stews, braises and no-knead bread.', 11900, 12],
    ['Silicone spatula set', 'Three heat-resistant spatulas, seamless so nothing gets stuck in a joint.', 1290, 0],
  ],
  'coffee-tea': [
    ['Pour-over coffee dripper', 'Ceramic cone dripper for size 02 filters; brews one or two cups.', 2290, 45],
    ['Gooseneck kettle 1 l', 'Temperature-controlled electric kettle with a precise pouring spout.', 6990, 18],
    ['Burr coffee grinder', 'Conical steel burrs with 30 grind settings, from espresso to French press.', 12900, 9],
    ['Espresso cup set', 'Four double-walled glass cups, 80 ml each; keeps espresso hot and hands cool.', 2490, 50],
    ['Loose leaf tea sampler', 'Twelve single-origin teas in resealable tins: green, black, oolong and white.', 3490, 30],
    ['Cast iron teapot 0.8 l', 'Japanese-style tetsubin with an enamelled interior and a stainless infuser.', 4590, 0],
    ['French press 1 l', 'Borosilicate glass carafe with a four-layer stainless filter.', 2990, 70],
  ],
  'home-office': [
    ['Ergonomic office chair', 'Mesh back, adjustable lumbar support, 4D armrests and a synchronised tilt.', 34900, 8],
    ['Standing desk frame', 'Dual-motor sit-stand frame, 62 to 127 cm, with four memory presets.', 39900, 5],
    ['Mechanical keyboard', 'Tenkeyless keyboard with hot-swappable switches and PBT keycaps.', 11900, 22],
    ['Wireless mouse', 'Quiet-click mouse with a 70-day battery and Bluetooth multi-device pairing.', 3990, 55],
    ['Monitor arm', 'Gas-spring arm for screens up to 32 inches and 9 kg, with cable management.', 8900, 14],
    ['Desk organiser', 'Oak desk tray with compartments for pens, phone and notebooks.', 2990, 0],
    ['LED desk lamp', 'Dimmable lamp with adjustable colour temperature and a USB-C charging port.', 4990, 33],
    ['Notebook A5 dotted', '192 pages of 100 g/m² paper, lay-flat binding and numbered pages.', 1490, 120],
  ],
  audio: [
    ['Noise-cancelling headphones', 'Over-ear headphones with adaptive noise cancelling and 30 hours of battery.', 24900, 16],
    ['True wireless earbuds', 'Compact earbuds with a wireless charging case and IPX4 splash protection.', 12900, 40],
    ['Bookshelf speakers (pair)', 'Passive two-way speakers with a 5-inch woofer and silk dome tweeter.', 19900, 7],
    ['Portable Bluetooth speaker', 'Waterproof speaker with 360° sound and 12 hours of playtime.', 7990, 28],
    ['USB condenser microphone', 'Cardioid microphone for podcasts and calls, with a zero-latency headphone jack.', 9900, 0],
    ['Turntable', 'Belt-drive record player with a built-in switchable phono preamp.', 29900, 4],
    ['Headphone stand', 'Solid walnut stand that keeps headphones off the desk.', 3490, 25],
  ],
  outdoor: [
    ['Two-person tent', 'Freestanding backpacking tent, 1.9 kg, with two doors and two vestibules.', 24900, 10],
    ['Down sleeping bag', 'Comfort rated to −5 °C, 750 fill power, packs to the size of a loaf of bread.', 27900, 6],
    ['Trekking poles (pair)', 'Carbon fibre poles with cork grips and quick-lock length adjustment.', 8990, 20],
    ['Insulated water bottle 750 ml', 'Double-walled stainless bottle: cold for 24 hours, hot for 12.', 2990, 90],
    ['Camping stove', 'Lightweight gas stove with a piezo igniter; boils a litre in three minutes.', 4490, 15],
    ['Headlamp 400 lm', 'Rechargeable headlamp with red light mode and a lock against accidental switching on.', 3990, 0],
    ['Hammock with straps', 'Parachute nylon hammock holding 200 kg, with tree-friendly straps.', 4990, 18],
  ],
  fitness: [
    ['Yoga mat 6 mm', 'Non-slip natural rubber mat with alignment lines, 183 × 61 cm.', 4990, 35],
    ['Adjustable dumbbells', 'Pair of dumbbells adjustable from 2 to 24 kg with a turn of the dial.', 29900, 6],
    ['Resistance bands set', 'Five latex bands from extra light to extra heavy, with handles and a door anchor.', 2490, 65],
    ['Foam roller', 'High-density roller for muscle recovery, 45 cm long.', 1990, 40],
    ['Jump rope', 'Speed rope with ball bearings and an adjustable steel cable.', 1490, 0],
    ['Kettlebell 12 kg', 'Cast iron kettlebell with a wide, powder-coated handle.', 4490, 12],
    ['Fitness tracker', 'Heart rate, sleep and step tracking with a seven-day battery.', 9900, 23],
  ],
  books: [
    ['The Pragmatic Kitchen', 'Hardcover cookbook: 120 weeknight recipes with short ingredient lists.', 2990, 30],
    ['Designing Data Systems', 'A practical guide to storage, replication and consistency in distributed systems.', 4490, 14],
    ['Trail Guide: The Alps', 'Forty day hikes with maps, elevation profiles and hut information.', 2490, 0],
    ['The Art of Coffee', 'From bean to cup: origins, roasting and brewing methods explained.', 3290, 19],
    ['Strength for Beginners', 'A twelve-week programme for building strength at home.', 1990, 27],
    ['Night Sky Atlas', 'Star charts for every season with tips for binocular astronomy.', 3590, 8],
    ['Short Stories Collection', 'Twenty contemporary short stories from award-winning authors.', 1690, 44],
  ],
  'toys-games': [
    ['Wooden train set', 'Fifty-piece beech wood railway with bridges and a level crossing.', 5990, 11],
    ['Strategy board game', 'Build trade routes and settle a new island; for three to four players.', 3990, 24],
    ['1000-piece jigsaw puzzle', 'Alpine lake panorama printed on thick recycled board.', 1990, 37],
    ['Building blocks set', '500 compatible bricks in 20 colours with a storage box.', 3490, 0],
    ['Remote control car', 'Four-wheel-drive off-road car with a rechargeable battery.', 4990, 9],
    ['Card game for families', 'Fast-paced matching game for two to eight players, ages six and up.', 1290, 80],
    ['Kids science kit', 'Twenty experiments on crystals, volcanoes and simple circuits.', 2990, 16],
  ],
  bath: [
    ['Organic cotton towel set', 'Two bath towels and two hand towels, 600 g/m², OEKO-TEX certified.', 4990, 26],
    ['Bamboo bath mat', 'Slatted bamboo mat that dries quickly, 50 × 80 cm.', 2490, 20],
    ['Rainfall shower head', 'Wide 25 cm shower head with anti-limescale nozzles.', 5990, 0],
    ['Natural soap bars (set of 4)', 'Cold-processed soaps with olive oil and essential oils.', 1590, 75],
    ['Bathrobe waffle', 'Lightweight waffle-weave cotton bathrobe, unisex.', 5490, 13],
    ['Toothbrush holder ceramic', 'Matte stoneware holder with a drainage hole.', 1190, 42],
  ],
  lighting: [
    ['Smart LED bulb E27', 'Colour and white tunable bulb, works with voice assistants.', 1990, 100],
    ['Floor lamp arc', 'Arched floor lamp with a marble base and a linen shade.', 18900, 5],
    ['Pendant lamp rattan', 'Hand-woven rattan shade, 40 cm, for a warm diffused light.', 8990, 9],
    ['LED strip 5 m', 'Dimmable warm white strip with adhesive backing and a remote.', 2990, 48],
    ['Bedside lamp touch', 'Touch-dimmable lamp with three brightness levels.', 3490, 0],
    ['Solar garden lights (set of 6)', 'Stake lights that charge by day and switch on at dusk.', 2990, 31],
  ],
};

const SKU_PREFIX: Record<string, string> = {
  kitchen: 'KIT',
  'coffee-tea': 'COF',
  'home-office': 'OFF',
  audio: 'AUD',
  outdoor: 'OUT',
  fitness: 'FIT',
  books: 'BOO',
  'toys-games': 'TOY',
  bath: 'BAT',
  lighting: 'LIG',
};

/** The hand-written demo products (≈70), SKUs stable across runs. */
export const SEED_PRODUCTS: SeedProduct[] = Object.entries(ROWS).flatMap(([category, rows]) =>
  rows.map(([name, description, priceCents, stock], i) => ({
    sku: `${SKU_PREFIX[category]}-${String(i + 1).padStart(3, '0')}`,
    name,
    description,
    priceCents,
    stock,
    category,
  })),
);

const EDITIONS = ['Classic', 'Pro', 'Mini', 'XL', 'Travel', 'Studio', 'Eco', 'Limited', 'Plus', 'Lite', 'Max', 'Compact', 'Deluxe'];
const COLOURS = ['black', 'white', 'oak', 'sage', 'navy', 'sand', 'terracotta', 'graphite', 'ivory', 'forest'];

/**
 * `total` products: the demo set, then deterministic variants of it (edition × colour) with their
 * own SKUs, prices and stock, for larger catalogs (benchmarks). Same input → same rows.
 */
export function seedProducts(total: number): SeedProduct[] {
  const out = SEED_PRODUCTS.slice(0, total);
  for (let n = 0; out.length < total; n++) {
    const base = SEED_PRODUCTS[n % SEED_PRODUCTS.length];
    const variant = Math.floor(n / SEED_PRODUCTS.length);
    const edition = EDITIONS[variant % EDITIONS.length];
    const colour = COLOURS[Math.floor(variant / EDITIONS.length) % COLOURS.length];
    out.push({
      sku: `${base.sku}-V${String(variant + 1).padStart(3, '0')}`,
      name: `${base.name} ${edition} (${colour})`,
      description: `${base.description} ${edition} edition in ${colour}.`,
      priceCents: Math.round((base.priceCents * (90 + ((n * 37) % 40))) / 100),
      stock: (n * 13) % 7 === 0 ? 0 : (n * 17) % 120,
      category: base.category,
    });
  }
  return out;
}

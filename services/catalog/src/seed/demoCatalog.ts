import type { NewProduct } from '../domain/product.ts';

interface CategorySpec {
  name: string;
  code: string;
  /** `Noun: material|material`: the materials that make sense for that product. */
  nouns: string[];
  qualities: string[];
  /** Price range in whole euros. */
  price: [number, number];
  uses: string[];
}

const brands = ['Nordvik', 'Alder & Co', 'Solace', 'Harbor', 'Kestrel', 'Lumen', 'Fieldstone', 'Morrow', 'Tidewell', 'Ashgrove'];

const categories: CategorySpec[] = [
  {
    name: 'Kitchen',
    code: 'KIT',
    nouns: [
      'Chef Knife: Damascus steel|high-carbon steel',
      'Pour-Over Kettle: enamelled steel|stainless steel',
      'Cutting Board: acacia wood|end-grain walnut',
      'Dutch Oven: cast iron|enamelled cast iron',
      'Frying Pan: carbon steel|tri-ply stainless steel',
      'Salad Bowl: olive wood|stoneware',
      'Spice Grinder: ceramic burr|beech wood',
      'French Press: borosilicate glass|double-walled steel',
      'Mixing Bowl Set: stainless steel|tempered glass',
      'Utensil Set: silicone and beech|olive wood',
    ],
    qualities: ['Classic', 'Professional', 'Compact', 'Heritage', 'Everyday'],
    price: [12, 189],
    uses: ['weeknight cooking', 'slow Sunday brunches', 'small kitchens', 'serious home cooks'],
  },
  {
    name: 'Home Office',
    code: 'OFF',
    nouns: [
      'Desk Lamp: anodised aluminium|powder-coated steel',
      'Monitor Stand: oak veneer|bamboo',
      'Notebook: recycled paper|dot-grid paper',
      'Desk Organizer: recycled felt|walnut',
      'Ergonomic Chair: breathable mesh|recycled fabric',
      'Cable Tray: powder-coated steel|aluminium',
      'Footrest: cork|memory foam',
      'Whiteboard: magnetic glass|enamelled steel',
      'Pen Set: brushed brass|aluminium',
      'Laptop Sleeve: recycled felt|waxed canvas',
    ],
    qualities: ['Minimal', 'Adjustable', 'Studio', 'Focus', 'Modular'],
    price: [9, 349],
    uses: ['long working days', 'tidy desks', 'shared workspaces', 'remote teams'],
  },
  {
    name: 'Outdoor',
    code: 'OUT',
    nouns: [
      'Trail Backpack: ripstop nylon|waxed canvas',
      'Camping Lantern: aluminium alloy|recycled polymer',
      'Insulated Bottle: double-walled stainless steel|titanium',
      'Hammock: parachute nylon|organic cotton',
      'Folding Chair: aluminium alloy|ripstop polyester',
      'Rain Shell: three-layer waterproof nylon|recycled polyester',
      'Sleeping Bag: responsibly sourced down|synthetic insulation',
      'Trekking Poles: carbon fibre|aluminium alloy',
      'Camp Stove: titanium|stainless steel',
      'Dry Bag: TPU-coated nylon|PVC-free polyester',
    ],
    qualities: ['Ultralight', 'Rugged', 'Alpine', 'Weatherproof', 'Packable'],
    price: [15, 299],
    uses: ['weekend hikes', 'wet trails', 'festival camping', 'overnight treks'],
  },
  {
    name: 'Audio',
    code: 'AUD',
    nouns: [
      'Wireless Headphones: memory foam and aluminium|protein leather',
      'Bookshelf Speaker: walnut veneer|matte MDF',
      'Earbuds: matte polymer|silicone',
      'Turntable: solid oak|acrylic',
      'Portable Speaker: fabric-wrapped polymer|rubberised aluminium',
      'DAC Amplifier: machined aluminium|steel',
      'Soundbar: fabric-wrapped aluminium|matte polymer',
      'Studio Monitor: MDF|birch plywood',
      'Microphone: die-cast zinc|brass',
      'Headphone Stand: walnut|aluminium',
    ],
    qualities: ['Reference', 'Noise-Cancelling', 'Compact', 'Hi-Fi', 'Wireless'],
    price: [19, 599],
    uses: ['critical listening', 'commutes', 'podcasting', 'small living rooms'],
  },
  {
    name: 'Fitness',
    code: 'FIT',
    nouns: [
      'Yoga Mat: natural rubber|cork',
      'Kettlebell: cast iron|powder-coated steel',
      'Resistance Bands: natural latex|woven fabric',
      'Jump Rope: steel cable|PVC',
      'Foam Roller: EVA foam|cork',
      'Dumbbell Pair: chrome-plated steel|rubber-coated iron',
      'Pull-Up Bar: steel|chrome-plated steel',
      'Gym Bag: recycled polyester|waxed canvas',
      'Balance Board: birch plywood|cork',
      'Ab Wheel: steel and rubber|polymer',
    ],
    qualities: ['Pro', 'Grip', 'Studio', 'Endurance', 'Core'],
    price: [8, 159],
    uses: ['home workouts', 'mobility sessions', 'strength training', 'recovery days'],
  },
  {
    name: 'Garden',
    code: 'GAR',
    nouns: [
      'Pruning Shears: forged steel|carbon steel',
      'Watering Can: galvanised steel|recycled plastic',
      'Planter: terracotta|glazed stoneware',
      'Garden Hose: reinforced rubber|recycled PVC',
      'Trowel: stainless steel and ash|forged steel',
      'Raised Bed: FSC larch|galvanised steel',
      'Seed Tray: recycled plastic|biodegradable fibre',
      'Kneeling Pad: recycled foam|waxed canvas',
      'Bird Feeder: FSC cedar|powder-coated steel',
      'Compost Bin: recycled plastic|FSC larch',
    ],
    qualities: ['Heavy-Duty', 'Balcony', 'Heirloom', 'Allotment', 'Terrace'],
    price: [7, 229],
    uses: ['balcony gardens', 'vegetable plots', 'container planting', 'spring pruning'],
  },
  {
    name: 'Books',
    code: 'BOK',
    nouns: [
      'Field Guide: water-resistant paper|flexible cover',
      'Cookbook: lay-flat binding|cloth cover',
      'Atlas: hardcover|linen binding',
      'Sketchbook: acid-free paper|toned paper',
      'Travel Journal: linen cover|vegan leather',
      'Poetry Collection: cloth cover|matte paper',
      'Photo Book: gloss art paper|hardcover',
      'Puzzle Book: recycled paper|spiral binding',
      'Novel: paperback|hardcover',
      'Handbook: flexible cover|lay-flat binding',
    ],
    qualities: ['Illustrated', 'Collector', 'Pocket', 'Annotated', 'Hardcover'],
    price: [9, 69],
    uses: ['long train rides', 'gifting', 'rainy afternoons', 'curious minds'],
  },
  {
    name: 'Lighting',
    code: 'LGT',
    nouns: [
      'Floor Lamp: brass|powder-coated steel',
      'Pendant Light: opal glass|spun aluminium',
      'Table Lamp: ceramic|linen shade',
      'LED Strip: flexible silicone|aluminium channel',
      'Wall Sconce: brushed brass|matte steel',
      'Reading Light: aluminium|beech wood',
      'String Lights: copper wire|rubber cable',
      'Smart Bulb Pack: frosted glass|polycarbonate',
      'Night Light: silicone|frosted glass',
      'Lantern: galvanised steel|rattan',
    ],
    qualities: ['Warm', 'Dimmable', 'Scandinavian', 'Industrial', 'Soft-Glow'],
    price: [11, 279],
    uses: ['cosy evenings', 'reading nooks', 'open-plan living', 'bedrooms'],
  },
  {
    name: 'Toys & Games',
    code: 'TOY',
    nouns: [
      'Board Game: recycled cardboard|wooden pieces',
      'Puzzle: recycled card|FSC plywood',
      'Building Blocks: beech wood|non-toxic paint',
      'Card Game: linen-finish card|sturdy card',
      'Wooden Train: beech wood|maple',
      'Kite: ripstop nylon|fibreglass',
      'Marble Run: beech wood|recycled plastic',
      'Chess Set: walnut and maple|weighted resin',
      'Plush Bear: organic cotton|recycled polyester',
      'Science Kit: sturdy card|glass and metal',
    ],
    qualities: ['Family', 'Classic', 'Strategy', 'Creative', 'Travel'],
    price: [6, 119],
    uses: ['game nights', 'ages 6 and up', 'rainy days', 'the whole family'],
  },
  {
    name: 'Apparel',
    code: 'APP',
    nouns: [
      'Merino Sweater: merino wool|lambswool',
      'Denim Jacket: selvedge denim|organic denim',
      'Rain Coat: waxed cotton|recycled nylon',
      'Wool Beanie: merino wool|recycled wool',
      'Linen Shirt: European linen|linen-cotton',
      'Chino Trousers: organic cotton twill|stretch cotton',
      'Hoodie: organic cotton fleece|heavyweight loopback cotton',
      'Scarf: lambswool|cashmere blend',
      'Running Tee: recycled polyester|merino blend',
      'Canvas Tote: heavyweight canvas|organic cotton',
    ],
    qualities: ['Relaxed', 'Tailored', 'Organic', 'Heavyweight', 'Everyday'],
    price: [14, 249],
    uses: ['layering', 'city commutes', 'cool evenings', 'travel'],
  },
];

/** Deterministic PRNG (mulberry32), so every run generates the same catalog. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const capitalize = (text: string): string => text[0]!.toUpperCase() + text.slice(1);

/** `perCategory` products for each of the ten categories, identical on every call. */
export function demoCatalog(perCategory = 40): NewProduct[] {
  const next = random(20261125);
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
  const products: NewProduct[] = [];
  for (const category of categories) {
    const names = new Set<string>();
    for (let i = 1; names.size < perCategory && i <= perCategory * 20; i++) {
      const [noun, materials] = pick(category.nouns).split(': ') as [string, string];
      const name = `${pick(brands)} ${pick(category.qualities)} ${noun}`;
      if (names.has(name)) continue;
      names.add(name);
      const material = pick(materials.split('|'));
      const [low, high] = category.price;
      const euros = Math.round(low + (high - low) * next() ** 2); // skewed towards cheaper items
      const cents = pick([0, 50, 90, 95, 99]);
      products.push({
        sku: `${category.code}-${String(names.size).padStart(4, '0')}`,
        name,
        description: `${capitalize(material)} ${noun.toLowerCase()} made for ${pick(category.uses)}. ` +
          `${pick(['Designed to last', 'Thoughtfully made', 'Tested by our team', 'A customer favourite'])}, ` +
          `with a ${pick(['two', 'three', 'five'])}-year warranty.`,
        category: category.name,
        priceCents: euros * 100 + cents,
        currency: 'EUR',
      });
    }
  }
  return products;
}

/** A believable, deterministic starting stock level for a seeded product. */
export function demoStock(index: number): number {
  return [0, 3, 12, 25, 40, 60, 100, 150][(index * 7 + 3) % 8]!;
}

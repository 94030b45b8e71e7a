/**
 * A tiny MIRAX (3DHISTECH .mrxs) writer for tests, following the layout OpenSlide 3.4's mirax
 * reader expects (no vendor sample is available here). A MIRAX slide is an `x.mrxs` file (its
 * content unread) plus a folder `x/` holding:
 *  - Slidedat.ini: the slide's grid of camera images, the zoom-level sections (image size,
 *    concat factor, MPP, format), the "non-hierarchical" records (position buffer, macro,
 *    label) and the data file names;
 *  - Index.dat: "01.02" + SLIDE_ID, then two int32 roots (hierarchical, non-hierarchical)
 *    pointing at tables of list heads; each list head is (0, page offset); a hierarchical page
 *    is (record count, next page, records of (image index, offset, length, file number)), a
 *    non-hierarchical page is (1, 0, 0, 0, offset, length, file number);
 *  - Data0000.dat: the JPEG images and the position buffer, at the offsets Index.dat gives.
 * Every level's images are digitizer-sized (here all levels use the same size); level n holds
 * one image per 2^n x 2^n level-0 images, indexed by its top-left level-0 image.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MiraxLevel {
  /** JPEG images by level-0 image index (y * imagesX + x, x and y multiples of 2^level). */
  images: Map<number, Uint8Array>;
}

export interface MiraxSlide {
  slideId: string;
  imagesX: number;
  imagesY: number;
  /** Images per camera photo along each side (CameraImageDivisionsPerSide). */
  divisions: number;
  imageWidth: number;
  imageHeight: number;
  mpp: number;
  objective: number;
  /** Level-0 pixel of each camera photo's top-left corner, row-major over the photo grid. */
  positions: Array<[x: number, y: number]>;
  levels: MiraxLevel[];
  macro?: Uint8Array;
  label?: Uint8Array;
  /** Extra [GENERAL] keys (SLIDE_CREATIONDATETIME, ...). */
  general?: Record<string, string>;
  /** Keys of [NONHIERLAYER_0_SECTION] (the scan data layer: SCANNER_HARDWARE_ID, ...). */
  scanner?: Record<string, string>;
}

class Bytes {
  private parts: Uint8Array[] = [];
  pos = 0;
  add(b: Uint8Array): number {
    const at = this.pos;
    this.parts.push(b);
    this.pos += b.length;
    return at;
  }
  int32s(...v: number[]): number {
    const b = new Uint8Array(v.length * 4);
    const dv = new DataView(b.buffer);
    v.forEach((x, i) => dv.setInt32(i * 4, x, true));
    return this.add(b);
  }
  /** Reserve int32s to fill in later (pointers to what follows). */
  slots(n: number): { at: number; set: (i: number, v: number) => void } {
    const b = new Uint8Array(n * 4);
    const at = this.add(b);
    return { at, set: (i, v) => new DataView(b.buffer).setInt32(i * 4, v, true) };
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.pos);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** The 9-byte records of VIMSLIDE_POSITION_BUFFER: flag (1), x, y as int32 LE. */
function positionBuffer(positions: Array<[number, number]>): Uint8Array {
  const b = new Uint8Array(positions.length * 9);
  const dv = new DataView(b.buffer);
  positions.forEach(([x, y], i) => {
    b[i * 9] = 1;
    dv.setInt32(i * 9 + 1, x, true);
    dv.setInt32(i * 9 + 5, y, true);
  });
  return b;
}

/** Write `<dir>/<name>.mrxs` and `<dir>/<name>/`; returns the .mrxs path. */
export function writeMirax(dir: string, name: string, s: MiraxSlide): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const data = new Bytes();
  type Rec = { offset: number; length: number };
  const put = (b: Uint8Array): Rec => ({ offset: data.add(b), length: b.length });

  // Non-hierarchical records in Slidedat order: scan data layer values, then the position buffer.
  const scanValues: Array<[value: string, section: string, typeKey: string, jpeg: Uint8Array]> = [];
  if (s.macro) scanValues.push(['ScanDataLayer_SlideThumbnail', 'NONHIERLAYER_0_LEVEL_0_SECTION', 'THUMBNAIL_IMAGE_TYPE', s.macro]);
  if (s.label) scanValues.push(['ScanDataLayer_SlideBarcode', `NONHIERLAYER_0_LEVEL_${scanValues.length}_SECTION`, 'BARCODE_IMAGE_TYPE', s.label]);
  const nonhier: Rec[] = scanValues.map((v) => put(v[3]));
  nonhier.push(put(positionBuffer(s.positions)));
  const hier: Array<Array<[index: number, rec: Rec]>> = s.levels.map((l) => [...l.images].map(([i, jpeg]) => [i, put(jpeg)]));

  const index = new Bytes();
  index.add(new TextEncoder().encode('01.02' + s.slideId));
  const roots = index.slots(2);
  const hierTable = index.slots(hier.length);
  roots.set(0, hierTable.at);
  hier.forEach((records, level) => {
    const head = index.slots(2); // 0, page
    hierTable.set(level, head.at);
    const page = index.int32s(records.length, 0, ...records.flatMap(([i, r]) => [i, r.offset, r.length, 0]));
    head.set(1, page);
  });
  const nonhierTable = index.slots(nonhier.length);
  roots.set(1, nonhierTable.at);
  nonhier.forEach((r, i) => {
    const head = index.slots(2);
    nonhierTable.set(i, head.at);
    head.set(1, index.int32s(1, 0, 0, 0, r.offset, r.length, 0));
  });

  const lines: string[] = [
    '[GENERAL]', 'SLIDE_VERSION=01.02', `SLIDE_ID=${s.slideId}`,
    `IMAGENUMBER_X=${s.imagesX}`, `IMAGENUMBER_Y=${s.imagesY}`,
    `OBJECTIVE_MAGNIFICATION=${s.objective}`, `CameraImageDivisionsPerSide=${s.divisions}`,
    ...Object.entries(s.general ?? {}).map(([k, v]) => `${k}=${v}`),
    '', '[HIERARCHICAL]', 'INDEXFILE=Index.dat',
    'HIER_COUNT=1', 'HIER_0_NAME=Slide zoom level', `HIER_0_COUNT=${s.levels.length}`,
    ...s.levels.map((_, i) => `HIER_0_VAL_${i}_SECTION=LAYER_0_LEVEL_${i}_SECTION`),
  ];
  const groups: string[] = [];
  let n = 0;
  if (scanValues.length) {
    lines.push(`NONHIER_${n}_NAME=Scan data layer`, `NONHIER_${n}_COUNT=${scanValues.length}`);
    scanValues.forEach(([value, section, typeKey], i) => {
      lines.push(`NONHIER_${n}_VAL_${i}=${value}`, `NONHIER_${n}_VAL_${i}_SECTION=${section}`);
      groups.push(`[${section}]`, `${typeKey}=JPEG`, '');
    });
    groups.push('[NONHIERLAYER_0_SECTION]', ...Object.entries(s.scanner ?? {}).map(([k, v]) => `${k}=${v}`), '');
    n++;
  }
  lines.push(`NONHIER_${n}_NAME=VIMSLIDE_POSITION_BUFFER`, `NONHIER_${n}_COUNT=1`,
    `NONHIER_${n}_VAL_0=default`, `NONHIER_${n}_VAL_0_SECTION=NONHIERLAYER_${n}_LEVEL_0_SECTION`);
  groups.push(`[NONHIERLAYER_${n}_LEVEL_0_SECTION]`, 'VIMSLIDE_POSITION_DATA_FORMAT_VERSION=257', '');
  lines.push(`NONHIER_COUNT=${n + 1}`, '', '[DATAFILE]', 'FILE_COUNT=1', 'FILE_0=Data0000.dat', '');
  s.levels.forEach((_, i) => {
    lines.push(`[LAYER_0_LEVEL_${i}_SECTION]`, `IMAGE_CONCAT_FACTOR=${i === 0 ? 0 : 1}`, 'OVERLAP_X=0', 'OVERLAP_Y=0',
      `MICROMETER_PER_PIXEL_X=${s.mpp * 2 ** i}`, `MICROMETER_PER_PIXEL_Y=${s.mpp * 2 ** i}`,
      'IMAGE_FILL_COLOR_BGR=16777215', `DIGITIZER_WIDTH=${s.imageWidth}`, `DIGITIZER_HEIGHT=${s.imageHeight}`,
      'IMAGE_FORMAT=JPEG', '');
  });
  lines.push(...groups);

  writeFileSync(join(folder, 'Slidedat.ini'), lines.join('\r\n'));
  writeFileSync(join(folder, 'Index.dat'), index.concat());
  writeFileSync(join(folder, 'Data0000.dat'), data.concat());
  const path = join(dir, `${name}.mrxs`);
  // OpenSlide only checks that it exists; real ones are small and never empty (our probe
  // refuses empty files), so it holds a few placeholder bytes.
  writeFileSync(path, 'MIRAX test slide\r\n');
  return path;
}

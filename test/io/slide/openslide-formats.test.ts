/**
 * Vendor formats read through OpenSlide, on files the tests build from OpenSlide's documented
 * detection rules (no vendor tools or sample files are available here): a Philips TIFF (tiled
 * pyramid, Software "Philips...", DPUfsImport XML with pixel spacings, device and date, a Label
 * page), a Leica SCN (tiled pyramid placed inside a larger collection by Leica's scn XML,
 * brightfield, objective, macro image), a Ventana BIF (iScan XMP, level descriptions, the
 * level-0 EncodeInfo stitching XML with its serpentine tile numbering, label and thumbnail),
 * a Hamamatsu VMU (key file, 12-bit NGR image and map files stored in columns, JPEG macro),
 * a MIRAX slide (Slidedat.ini, Index.dat and a data file of JPEG camera images placed by the
 * position buffer, two zoom levels, macro and label; see tiny-mrxs.ts) and a Hamamatsu VMS
 * (key file, a 2 x 2 grid of JPEGs with restart markers spliced from sharp's output, map JPEG,
 * macro; see tiny-vms.ts) and a Sakura SVSlide (SQLite database written with sql.js: tiles
 * as one grayscale JPEG per channel, header, metadata tables, associated images; see
 * tiny-svslide.ts).
 * Skipped where libopenslide is not installed; CI installs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOpenSlideAvailable, openSlide, openSlideUnavailableReason } from '../../../src/io/slide/index.js';
import { testImage } from './tiny-dicom.js';
import { tinyTiff } from './tiny-tiff.js';
import { writeMirax } from './tiny-mrxs.js';
import { restartJpeg, writeVms } from './tiny-vms.js';
import { svslide, type SakuraTile } from './tiny-svslide.js';
import sharp from 'sharp';

const withOpenSlide = { skip: isOpenSlideAvailable() ? false : `OpenSlide not available (${openSlideUnavailableReason()})` };

const attr = (name: string, value: string) => `<Attribute Name="${name}" Group="0x0000" Element="0x0000" PMSVR="IString">${value}</Attribute>`;
const spacing = (mm: number) => attr('DICOM_PIXEL_SPACING', `"${mm}" "${mm}"`);
const XML = '<?xml version="1.0" encoding="UTF-8" ?><DataObject ObjectType="DPUfsImport">'
  + attr('DICOM_MANUFACTURER', 'PHILIPS')
  + attr('DICOM_MANUFACTURERS_MODEL_NAME', 'UFS Scanner')
  + attr('DICOM_DEVICE_SERIAL_NUMBER', 'FMT0042')
  + attr('DICOM_SOFTWARE_VERSIONS', '"1.8.6614"')
  + attr('DICOM_ACQUISITION_DATETIME', '20200304101112.000000')
  + '<Attribute Name="PIM_DP_SCANNED_IMAGES" Group="0x301D" Element="0x1003" PMSVR="IDataObjectArray"><Array>'
  + '<DataObject ObjectType="DPScannedImage">' + attr('PIM_DP_IMAGE_TYPE', 'WSI') + spacing(0.00025)
  + '<Attribute Name="PIIM_PIXEL_DATA_REPRESENTATION_SEQUENCE" Group="0x1001" Element="0x8B03" PMSVR="IDataObjectArray"><Array>'
  + `<DataObject ObjectType="PixelDataRepresentation">${spacing(0.00025)}</DataObject>`
  + `<DataObject ObjectType="PixelDataRepresentation">${spacing(0.0005)}</DataObject>`
  + '</Array></Attribute></DataObject>'
  + '<DataObject ObjectType="DPScannedImage">' + attr('PIM_DP_IMAGE_TYPE', 'LABELIMAGE') + '</DataObject>'
  + '</Array></Attribute></DataObject>';

test('Philips TIFF (generated): OpenSlide reads its two levels, MPP, label and device metadata; sharp refuses naming OpenSlide', withOpenSlide, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-philips-'));
  try {
    const l0 = testImage(512, 384, 3), l1 = testImage(256, 192, 4), label = testImage(120, 80, 5);
    const path = join(dir, 'philips.tiff');
    writeFileSync(path, tinyTiff([
      { width: 512, height: 384, rgb: l0, tile: 128, software: 'Philips DP v1.0', description: XML },
      { width: 256, height: 192, rgb: l1, tile: 128, subfileType: 1 },
      { width: 120, height: 80, rgb: label, description: 'Label' },
    ]));
    const r = await openSlide(path);
    try {
      assert.deepEqual([r.info.reader, r.info.format], ['openslide', 'philips-tiff']);
      assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.downsample]), [[512, 384, 1], [256, 192, 2]]);
      assert.deepEqual(r.info.mpp, { x: 0.25, y: 0.25 });
      assert.ok(r.info.associatedImages.includes('label'));
      const m = r.info.metadata!;
      assert.deepEqual(
        [m.scanDate, m.scanDateSource, m.scannerVendor, m.scannerModel, m.scannerSerial, m.mppSource],
        ['2020-03-04T10:11:12', 'philips.DICOM_ACQUISITION_DATETIME', 'PHILIPS', 'UFS Scanner', 'FMT0042', 'openslide.mpp-x/y (philips)'],
      );
      // Uncompressed tiles: OpenSlide hands back the stored pixels.
      const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
      assert.ok(same((await r.readRegion(0, 0, 0, 512, 384)).data, l0), 'level 0');
      assert.ok(same((await r.readRegion(1, 0, 0, 256, 192)).data, l1), 'level 1');
      assert.ok(same((await r.readAssociated('label')).data, label), 'label');
    } finally {
      await r.close();
    }
    await assert.rejects(openSlide(path, { backend: 'sharp' }), /philips\.tiff: Philips TIFF slides need OpenSlide; the sharp backend cannot read them/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Leica SCN (generated): OpenSlide places the main image in its collection, reads MPP, objective, macro and device', withOpenSlide, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-scn-'));
  try {
    const l0 = testImage(512, 384, 6), l1 = testImage(256, 192, 7), macro = testImage(160, 120, 8);
    // Collection 400 x 300 µm; the main image (500 nm/px) sits at (100 µm, 100 µm) = pixel (200, 200).
    const xml = '<?xml version="1.0" encoding="UTF-8"?><scn xmlns="http://www.leica-microsystems.com/scn/2010/10/01">'
      + '<collection name="test" sizeX="400000" sizeY="300000"><barcode>QkMtMTIz</barcode>'
      + '<image name="macro"><creationDate>2013-01-02T03:04:05.00Z</creationDate><device model="Leica SCN400;Leica SCN" version="1.5"/>'
      + '<pixels sizeX="160" sizeY="120"><dimension sizeX="160" sizeY="120" r="0" ifd="2"/></pixels>'
      + '<view sizeX="400000" sizeY="300000" offsetX="0" offsetY="0" spacingZ="0"/>'
      + '<scanSettings><objectiveSettings><objective>1</objective></objectiveSettings><illuminationSettings><illuminationSource>brightfield</illuminationSource></illuminationSettings></scanSettings></image>'
      + '<image name="main"><creationDate>2013-01-02T03:04:05.00Z</creationDate><device model="Leica SCN400;Leica SCN" version="1.5"/>'
      + '<pixels sizeX="512" sizeY="384"><dimension sizeX="512" sizeY="384" r="0" ifd="0"/><dimension sizeX="256" sizeY="192" r="1" ifd="1"/></pixels>'
      + '<view sizeX="256000" sizeY="192000" offsetX="100000" offsetY="100000" spacingZ="0"/>'
      + '<scanSettings><objectiveSettings><objective>20</objective></objectiveSettings><illuminationSettings><numericalAperture>0.4</numericalAperture><illuminationSource>brightfield</illuminationSource></illuminationSettings></scanSettings></image>'
      + '</collection></scn>';
    const path = join(dir, 'leica.scn');
    writeFileSync(path, tinyTiff([
      { width: 512, height: 384, rgb: l0, tile: 128, description: xml, pixelsPerCm: 20000 },
      { width: 256, height: 192, rgb: l1, tile: 128, subfileType: 1 },
      { width: 160, height: 120, rgb: macro },
    ]));
    const r = await openSlide(path);
    try {
      assert.deepEqual([r.info.reader, r.info.format], ['openslide', 'leica-scn']);
      assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.downsample]), [[800, 600, 1], [400, 300, 2]]);
      assert.deepEqual(r.info.mpp, { x: 0.5, y: 0.5 });
      assert.equal(r.info.objectivePower, 20);
      assert.deepEqual(r.info.associatedImages, ['macro']);
      const m = r.info.metadata!;
      assert.deepEqual(
        [m.scanDate, m.scanDateSource, m.scannerVendor, m.scannerModel, m.objectivePower, m.mppSource],
        ['2013-01-02T03:04:05', 'leica.creation-date', 'Leica', 'Leica SCN400;Leica SCN', 20, 'openslide.mpp-x/y (leica)'],
      );
      const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
      assert.ok(same((await r.readRegion(0, 200, 200, 512, 384)).data, l0), 'level 0 main image at (200, 200)');
      assert.ok(same((await r.readRegion(1, 100, 100, 256, 192)).data, l1), 'level 1 main image at (100, 100)');
      assert.deepEqual([...(await r.readRegion(0, 0, 0, 4, 1)).data], new Array(12).fill(255), 'outside the scanned area is white');
      assert.ok(same((await r.readAssociated('macro')).data, macro), 'macro');
    } finally {
      await r.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Ventana's level-0 stitching XML: one scanned area of cols x rows tiles, numbered from 1 in a
 * serpentine from the bottom-left (rows from the bottom, every second row right to left), joints
 * between neighbours with no overlap, so the tiles sit on the plain TIFF tile grid.
 */
function ventanaEncodeInfo(cols: number, rows: number, tile: number): string {
  // tile number (1-based) at grid column c, row r (rows counted from the top)
  const number = (c: number, r: number): number => {
    const fromBottom = rows - 1 - r;
    const k = fromBottom % 2 ? cols - 1 - c : c;
    return fromBottom * cols + k + 1;
  };
  let joints = '';
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const j = (dir: string, a: number, b: number) => `<TileJointInfo FlagJoined="1" Direction="${dir}" Tile1="${a}" Tile2="${b}" OverlapX="0" OverlapY="0" Confidence="100"/>`;
      if (c + 1 < cols) joints += j('RIGHT', number(c, r), number(c + 1, r));
      if (r > 0) joints += j('UP', number(c, r), number(c, r - 1));
    }
  }
  return '<?xml version="1.0" encoding="utf-8"?><EncodeInfo Ver="2"><SlideStitchInfo>'
    + `<ImageInfo AOIScanned="1" AOIIndex="0" Width="${tile}" Height="${tile}" NumRows="${rows}" NumCols="${cols}" Pos-X="0" Pos-Y="0">${joints}</ImageInfo>`
    + '</SlideStitchInfo><AoiOrigin><AOI0 OriginX="0" OriginY="0"/></AoiOrigin></EncodeInfo>';
}

test('Ventana BIF (generated): OpenSlide stitches level 0 from its EncodeInfo, reads MPP, objective, scanner, label and thumbnail', withOpenSlide, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-bif-'));
  try {
    const l0 = testImage(768, 512, 9), l1 = testImage(384, 256, 10), label = testImage(100, 60, 11), thumb = testImage(96, 64, 12);
    const iscan = '<?xml version="1.0" encoding="utf-8"?><iScan Z-layers="1" Magnification="40" ScanRes="0.2325" '
      + 'ScannerModel="VENTANA DP 200" ScannerSerial="DP200-0042" ScanDate="2021-05-06"/>';
    const path = join(dir, 'ventana.bif');
    writeFileSync(path, tinyTiff([
      { width: 100, height: 60, rgb: label, description: 'Label Image', xmp: iscan },
      { width: 96, height: 64, rgb: thumb, description: 'Thumbnail' },
      { width: 768, height: 512, rgb: l0, tile: 256, description: 'level=0 mag=40 quality=95', xmp: ventanaEncodeInfo(3, 2, 256) },
      { width: 384, height: 256, rgb: l1, tile: 256, description: 'level=1 mag=20 quality=95' },
    ]));
    const r = await openSlide(path);
    try {
      assert.deepEqual([r.info.reader, r.info.format], ['openslide', 'ventana-bif']);
      assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.downsample]), [[768, 512, 1], [384, 256, 2]]);
      assert.deepEqual(r.info.mpp, { x: 0.2325, y: 0.2325 });
      assert.equal(r.info.objectivePower, 40);
      assert.deepEqual([...r.info.associatedImages].sort(), ['macro', 'thumbnail']);
      const m = r.info.metadata!;
      assert.deepEqual([m.scannerVendor, m.scannerModel, m.scannerSerial], ['Ventana', 'VENTANA DP 200', 'DP200-0042']);
      const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
      // No overlap between tiles: the stitched level 0 is the stored image, tile for tile.
      assert.ok(same((await r.readRegion(0, 0, 0, 768, 512)).data, l0), 'level 0');
      assert.ok(same((await r.readRegion(1, 0, 0, 384, 256)).data, l1), 'level 1');
      assert.ok(same((await r.readAssociated('macro')).data, label), 'label image as macro');
    } finally {
      await r.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Hamamatsu's NGR image: a 32-byte header ("GN", then width, height and column width, and at
 * offset 24 where the pixels start), then the image in columns of `column` pixels, left to
 * right, each column top to bottom, 16-bit little-endian RGB holding 12-bit values.
 */
function ngr(rgb: Uint8Array, width: number, height: number, column: number): Uint8Array {
  const out = new Uint8Array(32 + width * height * 6);
  const v = new DataView(out.buffer);
  out[0] = 0x47; out[1] = 0x4e;
  v.setInt32(4, width, true);
  v.setInt32(8, height, true);
  v.setInt32(12, column, true);
  v.setInt32(24, 32, true);
  let o = 32;
  for (let c = 0; c < width; c += column) {
    for (let y = 0; y < height; y++) {
      for (let x = c; x < c + column; x++) {
        for (let k = 0; k < 3; k++, o += 2) v.setUint16(o, rgb[(y * width + x) * 3 + k]! << 4, true);
      }
    }
  }
  return out;
}

test('Hamamatsu VMU (generated): OpenSlide reads the NGR image and map as two levels, MPP, objective and macro from the key file', withOpenSlide, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-vmu-'));
  try {
    const l0 = testImage(256, 192, 13), map = testImage(128, 96, 14), macro = testImage(80, 40, 15);
    writeFileSync(join(dir, 'image.ngr'), ngr(l0, 256, 192, 64));
    writeFileSync(join(dir, 'map.ngr'), ngr(map, 128, 96, 32));
    await sharp(macro, { raw: { width: 80, height: 40, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(dir, 'macro.jpg'));
    // 256 px over 116,480 nm = 0.455 µm/px
    const key = ['[Uncompressed Virtual Microscope Specimen]', 'NoLayers=1', 'ImageFile=image.ngr', 'MapFile=map.ngr', 'MacroImage=macro.jpg',
      'BitsPerPixel=36', 'PixelOrder=RGB', 'PixelWidth=256', 'PixelHeight=192', 'PhysicalWidth=116480', 'PhysicalHeight=87360',
      'SourceLens=20', 'HardwareModel=C9600-12', 'HardwareSerial=VMU-0042', ''].join('\r\n');
    const path = join(dir, 'slide.vmu');
    writeFileSync(path, key);
    const r = await openSlide(path);
    try {
      assert.equal(r.info.reader, 'openslide');
      assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.downsample]), [[256, 192, 1], [128, 96, 2]]);
      assert.deepEqual(r.info.mpp, { x: 0.455, y: 0.455 });
      assert.equal(r.info.objectivePower, 20);
      assert.deepEqual(r.info.associatedImages, ['macro']);
      const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
      // 12-bit samples back to 8 bits: the stored pixels exactly, across the column boundaries.
      assert.ok(same((await r.readRegion(0, 0, 0, 256, 192)).data, l0), 'level 0');
      assert.ok(same((await r.readRegion(1, 0, 0, 128, 96)).data, map), 'map as level 1');
      const m = await r.readAssociated('macro');
      assert.deepEqual([m.width, m.height], [80, 40]);
    } finally {
      await r.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The w x h window at (x, y) of an RGB image `width` wide. */
function crop(rgb: Uint8Array, width: number, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) out.set(rgb.subarray(((y + r) * width + x) * 3, ((y + r) * width + x + w) * 3), r * w * 3);
  return out;
}

/** Largest per-sample difference between two RGB buffers of the same size. */
function maxDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const jpeg = (rgb: Uint8Array, width: number, height: number) =>
  sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();

/** Paste an RGB image into a larger one (`width` wide) at (x, y). */
function paste(into: Uint8Array, width: number, rgb: Uint8Array, x: number, y: number, w: number, h: number): void {
  for (let r = 0; r < h; r++) into.set(rgb.subarray(r * w * 3, (r + 1) * w * 3), ((y + r) * width + x) * 3);
}

test('MIRAX (generated): OpenSlide places the JPEG camera images by the position buffer, two levels, MPP, objective, macro, label, metadata', withOpenSlide, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-mrxs-'));
  try {
    // 4 x 4 images of 128 x 96 (level 0: 512 x 384), 2 x 2 images per camera photo. Photo (1, 1),
    // the bottom-right quarter, was never scanned: it has no level-0 images, so OpenSlide leaves
    // it empty at every level, though level 1 lists an image there.
    const iw = 128, ih = 96;
    const l0 = testImage(512, 384, 16), l1 = testImage(256, 192, 17), macro = testImage(160, 64, 18), label = testImage(64, 64, 19);
    const level0 = new Map<number, Uint8Array>(), level1 = new Map<number, Uint8Array>();
    // What the stored JPEGs decode to (by sharp), white where nothing was scanned.
    const want0 = new Uint8Array(512 * 384 * 3).fill(255), want1 = new Uint8Array(256 * 192 * 3).fill(255);
    const store = async (into: Map<number, Uint8Array>, index: number, rgb: Uint8Array, want: Uint8Array | null, width: number, x: number, y: number) => {
      const j = await jpeg(rgb, iw, ih);
      into.set(index, j);
      if (want) paste(want, width, new Uint8Array(await sharp(j).raw().toBuffer()), x, y, iw, ih);
    };
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        if (x >= 2 && y >= 2) continue;
        await store(level0, y * 4 + x, crop(l0, 512, x * iw, y * ih, iw, ih), want0, 512, x * iw, y * ih);
      }
    }
    for (let y = 0; y < 4; y += 2) {
      for (let x = 0; x < 4; x += 2) {
        const [px, py] = [(x / 2) * iw, (y / 2) * ih];
        await store(level1, y * 4 + x, crop(l1, 256, px, py, iw, ih), x >= 2 && y >= 2 ? null : want1, 256, px, py);
      }
    }
    const path = writeMirax(dir, 'slide', {
      slideId: '0123456789abcdef0123456789abcdef', imagesX: 4, imagesY: 4, divisions: 2, imageWidth: iw, imageHeight: ih,
      mpp: 0.2425, objective: 20, positions: [[0, 0], [256, 0], [0, 192], [256, 192]],
      levels: [{ images: level0 }, { images: level1 }],
      macro: await jpeg(macro, 160, 64), label: await jpeg(label, 64, 64),
      general: { SLIDE_CREATIONDATETIME: '02/01/2020 03:04:05', SLIDE_NAME: 'test' },
      scanner: { SCANNER_HARDWARE_ID: 'MRX-0042' },
    });
    const r = await openSlide(path);
    try {
      assert.deepEqual([r.info.reader, r.info.format], ['openslide', 'mirax']);
      assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.downsample]), [[512, 384, 1], [256, 192, 2]]);
      assert.deepEqual(r.info.mpp, { x: 0.2425, y: 0.2425 });
      assert.equal(r.info.objectivePower, 20);
      assert.deepEqual([...r.info.associatedImages].sort(), ['label', 'macro']);
      const m = r.info.metadata!;
      assert.deepEqual(
        [m.scanDate, m.scanDateSource, m.scannerVendor, m.scannerSerial, m.objectivePower, m.mppSource],
        ['2020-01-02T03:04:05', 'mirax.GENERAL.SLIDE_CREATIONDATETIME', '3DHISTECH', 'MRX-0042', 20, 'openslide.mpp-x/y (mirax)'],
      );
      // JPEG q100 4:4:4, decoded by OpenSlide (system libjpeg) and by sharp (its own): each image
      // where the position buffer puts it, within a level of sharp's decoding (measured: equal) and
      // within 6 of the source (measured: 4); the never-scanned photo white at both levels.
      const got0 = (await r.readRegion(0, 0, 0, 512, 384)).data;
      const got1 = (await r.readRegion(1, 0, 0, 256, 192)).data;
      const d = [maxDiff(got0, want0), maxDiff(got1, want1)];
      assert.ok(Math.max(...d) <= 1, `levels 0, 1 differ from the decoded images by ${d}`);
      assert.ok(crop(got0, 512, 256, 192, 256, 192).every((v) => v === 255), 'unscanned photo white at level 0');
      assert.ok(crop(got1, 256, 128, 96, 128, 96).every((v) => v === 255), 'unscanned photo white at level 1');
      const s0 = maxDiff(crop(got0, 512, 0, 0, 512, 192), crop(l0, 512, 0, 0, 512, 192));
      assert.ok(s0 <= 6, `level 0 differs from the source by ${s0}`);
      // A read across image seams gives the same pixels as the whole-level read.
      assert.deepEqual((await r.readRegion(0, 100, 80, 60, 40)).data, crop(got0, 512, 100, 80, 60, 40));
      const mac = await r.readAssociated('macro'), lab = await r.readAssociated('label');
      assert.deepEqual([mac.width, mac.height, lab.width, lab.height], [160, 64, 64, 64]);
      assert.ok(maxDiff(mac.data, macro) <= 6 && maxDiff(lab.data, label) <= 6, 'macro and label pixels');
    } finally {
      await r.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** 2 x 2 box average of an RGB image (even sizes). */
function halve(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const w = width / 2, h = height / 2, out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const at = (xx: number, yy: number) => rgb[(yy * width + xx) * 3 + c]!;
        out[(y * w + x) * 3 + c] = Math.round((at(2 * x, 2 * y) + at(2 * x + 1, 2 * y) + at(2 * x, 2 * y + 1) + at(2 * x + 1, 2 * y + 1)) / 4);
      }
    }
  }
  return out;
}

test('Hamamatsu VMS (generated): OpenSlide reads 2 x 2 JPEGs with restart markers tile by tile as level 0, the map JPEG, scaled levels, MPP, objective, macro; JPEGs without restart markers refused', withOpenSlide, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-vms-'));
  try {
    // Level 0: 2 x 2 JPEGs of 256 x 192 with a restart marker every 8 MCUs, so OpenSlide's tiles
    // are 64 x 8; the map: 128 x 96 (downsample 4), restart marker every 4 MCUs.
    const l0 = testImage(512, 384, 20), map = testImage(128, 96, 21), macro = testImage(96, 48, 22);
    const images: Uint8Array[] = [];
    const want0 = new Uint8Array(512 * 384 * 3);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 2; x++) {
        const j = await restartJpeg(crop(l0, 512, x * 256, y * 192, 256, 192), 256, 192, 8);
        images.push(j);
        paste(want0, 512, new Uint8Array(await sharp(j).raw().toBuffer()), x * 256, y * 192, 256, 192);
      }
    }
    const mapJpeg = await restartJpeg(map, 128, 96, 4);
    const wantMap = new Uint8Array(await sharp(mapJpeg).raw().toBuffer());
    // 512 px over 232,960 nm = 0.455 µm/px
    const path = writeVms(dir, {
      images, cols: 2, rows: 2, map: mapJpeg, macro: await jpeg(macro, 96, 48),
      physicalWidth: 232960, physicalHeight: 174720, objective: 20,
    });
    const r = await openSlide(path);
    try {
      assert.deepEqual([r.info.reader, r.info.format], ['openslide', 'hamamatsu-vms']);
      // OpenSlide adds the JPEGs decoded at 1/2 (level 0) and 1/2, 1/4, 1/8 (the map).
      assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.downsample, l.tileWidth, l.tileHeight]), [
        [512, 384, 1, 64, 8], [256, 192, 2, 32, 4], [128, 96, 4, 32, 8], [64, 48, 8, 16, 4], [32, 24, 16, 8, 2], [16, 12, 32, 4, 1],
      ]);
      assert.deepEqual(r.info.mpp, { x: 0.455, y: 0.455 });
      assert.equal(r.info.objectivePower, 20);
      assert.deepEqual(r.info.associatedImages, ['macro']);
      // Each restart segment decodes on its own to the pixels of the whole JPEG (measured: equal
      // to sharp's decoding of it; 4 from the source pixels); the scaled level is within 3 of a
      // 2 x 2 box average (measured 2, mean 0.45).
      const got0 = (await r.readRegion(0, 0, 0, 512, 384)).data;
      const d = [maxDiff(got0, want0), maxDiff((await r.readRegion(2, 0, 0, 128, 96)).data, wantMap)];
      assert.ok(Math.max(...d) <= 1, `level 0 / map differ from the decoded JPEGs by ${d}`);
      const d1 = maxDiff((await r.readRegion(1, 0, 0, 256, 192)).data, halve(want0, 512, 384));
      assert.ok(d1 <= 3, `level 1 differs from the box average by ${d1}`);
      assert.deepEqual((await r.readRegion(0, 250, 186, 12, 12)).data, crop(got0, 512, 250, 186, 12, 12), 'across the four JPEGs');
      const m = await r.readAssociated('macro');
      assert.deepEqual([m.width, m.height], [96, 48]);
    } finally {
      await r.close();
    }
    // The same layout with sharp's own JPEGs (no restart markers): OpenSlide refuses it.
    const plainDir = join(dir, 'plain');
    mkdirSync(plainDir);
    const plain = await jpeg(crop(l0, 512, 0, 0, 256, 192), 256, 192);
    const plainPath = writeVms(plainDir, {
      images: [plain, plain, plain, plain], cols: 2, rows: 2, map: await jpeg(map, 128, 96),
      physicalWidth: 232960, physicalHeight: 174720, objective: 20,
    });
    await assert.rejects(openSlide(plainPath), /plain\/slide\.vms: OpenSlide error: .*No restart markers/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** One channel (0 red, 1 green, 2 blue) of an RGB image. */
function channel(rgb: Uint8Array, c: number): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = rgb[i * 3 + c]!;
  return out;
}

test('Sakura SVSlide (generated): OpenSlide reads the SQLite tiles (one grayscale JPEG per channel) as two levels, MPP, objective, label, macro, thumbnail', withOpenSlide, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-svslide-'));
  try {
    // 512 x 384 in 256-px tiles: level 0 has 2 x 2 tiles (the bottom row cut to 128 px), level 1
    // (downsample 2) one tile cut to 256 x 192. Tiles are addressed by their level-0 corner.
    const ts = 256;
    const l0 = testImage(512, 384, 23), l1 = testImage(256, 192, 24);
    const want0 = new Uint8Array(512 * 384 * 3), want1 = new Uint8Array(256 * 192 * 3);
    const tiles: SakuraTile[] = [];
    const addTile = async (src: Uint8Array, width: number, height: number, tx: number, ty: number, downsample: number, want: Uint8Array) => {
      // the tile, padded with black beyond the image
      const t = new Uint8Array(ts * ts * 3);
      const w = Math.min(ts, width - tx), h = Math.min(ts, height - ty);
      paste(t, ts, crop(src, width, tx, ty, w, h), 0, 0, w, h);
      const channels = await Promise.all([0, 1, 2].map((c) =>
        sharp(channel(t, c), { raw: { width: ts, height: ts, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 100 }).toBuffer())) as [Buffer, Buffer, Buffer];
      // sharp decodes a one-component JPEG to three equal channels
      const decoded = await Promise.all(channels.map(async (j) => channel(new Uint8Array(await sharp(j).raw().toBuffer()), 0)));
      const rgb = new Uint8Array(ts * ts * 3);
      for (let i = 0; i < ts * ts; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = decoded[c]![i]!;
      paste(want, width, crop(rgb, ts, 0, 0, w, h), tx, ty, w, h);
      tiles.push({ downsample, x: tx * downsample, y: ty * downsample, channels });
    };
    for (let ty = 0; ty < 384; ty += ts) for (let tx = 0; tx < 512; tx += ts) await addTile(l0, 512, 384, tx, ty, 1, want0);
    await addTile(l1, 256, 192, 0, 0, 2, want1);
    const label = testImage(64, 64, 25), macro = testImage(160, 64, 26), thumb = testImage(64, 48, 27);
    const path = join(dir, 'slide.svslide');
    writeFileSync(path, await svslide({
      tileSize: ts, width: 512, height: 384, mmPerPixel: 0.00025, magnification: 40, tiles,
      label: await jpeg(label, 64, 64), macro: await jpeg(macro, 160, 64), thumbnail: await jpeg(thumb, 64, 48),
    }));
    const r = await openSlide(path);
    try {
      assert.deepEqual([r.info.reader, r.info.format], ['openslide', 'sakura']);
      assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.downsample, l.tileWidth]), [[512, 384, 1, 256], [256, 192, 2, 256]]);
      assert.deepEqual(r.info.mpp, { x: 0.25, y: 0.25 });
      assert.equal(r.info.objectivePower, 40);
      assert.deepEqual([...r.info.associatedImages].sort(), ['label', 'macro', 'thumbnail']);
      const m = r.info.metadata!;
      assert.deepEqual([m.scannerVendor, m.objectivePower, m.mppSource], ['Sakura', 40, 'openslide.mpp-x/y (sakura)']);
      // Three grayscale JPEGs (q100) recombined, edge tiles cut to the image: equal to sharp's
      // decoding of the channels (measured: equal; 1 from the source pixels).
      const d = [maxDiff((await r.readRegion(0, 0, 0, 512, 384)).data, want0), maxDiff((await r.readRegion(1, 0, 0, 256, 192)).data, want1)];
      assert.ok(Math.max(...d) <= 1, `levels 0 / 1 differ from the decoded channel JPEGs by ${d}`);
      const sizes = await Promise.all(['label', 'macro', 'thumbnail'].map(async (n) => { const a = await r.readAssociated(n); return [a.width, a.height]; }));
      assert.deepEqual(sizes, [[64, 64], [160, 64], [64, 48]]);
    } finally {
      await r.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

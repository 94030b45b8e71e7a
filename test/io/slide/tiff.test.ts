import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { bufferSource } from '../../../src/io/slide/source.js';
import { isTiffHeader, readTiffStructure } from '../../../src/io/slide/tiff-tags.js';
import {
  compressionName,
  omePhysicalSize,
  parseAperioDescription,
  resolutionMpp,
  tiffLayout,
} from '../../../src/io/slide/tiff-layout.js';
import { tinyTiff } from './tiny-tiff.js';

const OME = (unit: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">` +
  `<Instrument ID="Instrument:0"><Objective ID="Objective:0" NominalMagnification="40.0"/></Instrument>` +
  `<Image ID="Image:0"><Pixels DimensionOrder="XYCZT" ID="Pixels:0" PhysicalSizeX="250" PhysicalSizeXUnit="${unit}" ` +
  `PhysicalSizeY="260" PhysicalSizeYUnit="${unit}" SizeC="3" SizeT="1" SizeX="400" SizeY="300" SizeZ="1" Type="uint8"/></Image></OME>`;

const parse = (bytes: Uint8Array) => readTiffStructure(bufferSource(bytes, 'mem.tif'));

test('isTiffHeader recognises classic and BigTIFF headers, little and big endian', () => {
  assert.equal(isTiffHeader(Uint8Array.of(0x49, 0x49, 42, 0)), true);
  assert.equal(isTiffHeader(Uint8Array.of(0x4d, 0x4d, 0, 42)), true);
  assert.equal(isTiffHeader(Uint8Array.of(0x49, 0x49, 43, 0)), true);
  assert.equal(isTiffHeader(Uint8Array.of(0x49, 0x49, 0, 42)), false);
  assert.equal(isTiffHeader(Uint8Array.of(0x89, 0x50, 0x4e, 0x47)), false);
});

test('reads page sizes, strips, descriptions and SubIFDs of an OME-TIFF pyramid', async () => {
  const bytes = tinyTiff([
    { width: 400, height: 300, description: OME('nm'), subIfds: [{ width: 200, height: 150, subfileType: 1 }, { width: 100, height: 75, subfileType: 1 }] },
  ]);
  const t = await parse(bytes);
  assert.equal(t.bigTiff, false);
  assert.equal(t.pages.length, 1);
  const p = t.pages[0]!;
  assert.deepEqual([p.width, p.height, p.tileWidth, p.rowsPerStrip, p.compression, p.photometric, p.samplesPerPixel, p.bitsPerSample], [400, 300, null, 300, 1, 2, 3, 8]);
  assert.equal(p.description, OME('nm'));
  assert.deepEqual(p.subIfds.map((s) => [s.width, s.height, s.page, s.subIfd, s.subfileType]), [[200, 150, 0, 0, 1], [100, 75, 0, 1, 1]]);

  const layout = tiffLayout(t);
  assert.equal(layout.format, 'ome-tiff');
  assert.deepEqual(layout.levels.map((l) => [l.width, l.height, l.downsample]), [[400, 300, 1], [200, 150, 2], [100, 75, 4]]);
  assert.deepEqual(layout.mpp, { x: 0.25, y: 0.26 });
  assert.equal(layout.objectivePower, 40);
});

test('OME PhysicalSize units convert to micrometres; micrometre is the default', () => {
  assert.deepEqual(omePhysicalSize(OME('µm')), { x: 250, y: 260 });
  assert.deepEqual(omePhysicalSize(OME('mm')), { x: 250000, y: 260000 });
  assert.deepEqual(omePhysicalSize('<OME><Pixels ID="p" PhysicalSizeX="0.5" SizeX="2"/></OME>'), { x: 0.5, y: 0.5 });
  assert.equal(omePhysicalSize('<OME><Pixels ID="p" SizeX="2"/></OME>'), null);
  assert.equal(omePhysicalSize(OME('parsec')), null);
});

test('Aperio descriptions: MPP and AppMag, thumbnail on page 1, label and macro named on line 2', async () => {
  const desc = 'Aperio Image Library v12.0.5\r\n4000x3000 [0,0 4000x3000] (240x240) JPEG/RGB Q=70|AppMag = 40|MPP = 0.2500|Date = 01/02/20';
  assert.deepEqual(parseAperioDescription(desc), { AppMag: '40', MPP: '0.2500', Date: '01/02/20' });
  const t = await parse(tinyTiff([
    { width: 400, height: 300, description: desc },
    { width: 100, height: 75, description: 'Aperio Image Library v12.0.5\n400x300 -> 100x75 - |AppMag = 40' },
    { width: 50, height: 40, subfileType: 1, description: 'Aperio Image Library v12.0.5\nlabel 50x40' },
    { width: 80, height: 30, subfileType: 9, description: 'Aperio Image Library v12.0.5\nmacro 80x30' },
  ]));
  const layout = tiffLayout(t);
  assert.equal(layout.format, 'aperio-svs');
  assert.deepEqual(layout.mpp, { x: 0.25, y: 0.25 });
  assert.equal(layout.objectivePower, 40);
  assert.equal(layout.properties['aperio.MPP'], '0.2500');
  assert.deepEqual([...layout.associated].map(([n, d]) => [n, d.page]), [['thumbnail', 1], ['label', 2], ['macro', 3]]);
  // No tiled page at all: the first page is the only level rather than none.
  assert.deepEqual(layout.levels.map((l) => l.dir.page), [0]);
});

test('generic multi-page TIFF: reduced pages are levels, same-size planes are not, "macro" is associated', async () => {
  const t = await parse(tinyTiff([
    { width: 300, height: 200 },
    { width: 150, height: 100, subfileType: 1 },
    { width: 300, height: 200 },
    { width: 75, height: 50, subfileType: 1 },
    { width: 90, height: 20, description: 'macro' },
    { width: 40, height: 40, subfileType: 1 }, // smaller but a different shape: not a level
  ]));
  const layout = tiffLayout(t);
  assert.equal(layout.format, 'generic-tiff');
  assert.deepEqual(layout.levels.map((l) => [l.dir.page, l.downsample]), [[0, 1], [1, 2], [3, 4]]);
  assert.deepEqual([...layout.associated.keys()], ['macro']);
});

test('resolution tags give MPP in cm or inch units, but not screen/document defaults', async () => {
  const t = await parse(tinyTiff([{ width: 10, height: 10, pixelsPerCm: 40000 }, { width: 10, height: 10, pixelsPerCm: 28 }]));
  assert.deepEqual(resolutionMpp(t.pages[0]!), { x: 0.25, y: 0.25 });
  assert.equal(t.pages[1]!.resolutionUnit, 3);
  assert.equal(resolutionMpp(t.pages[1]!), null); // 357 µm per pixel: a 72 dpi default
  assert.deepEqual(tiffLayout(t).mpp, { x: 0.25, y: 0.25 });
});

test('BigTIFF written by sharp: tiled pages and JPEG compression are read', async () => {
  const bytes = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#804020' } })
    .tiff({ bigtiff: true, tile: true, tileWidth: 64, tileHeight: 64, compression: 'jpeg', pyramid: true })
    .toBuffer();
  const t = await parse(bytes);
  assert.equal(t.bigTiff, true);
  assert.deepEqual(t.pages.map((p) => [p.width, p.height, p.tileWidth, p.compression, p.hasJpegTables]), [
    [300, 200, 64, 7, true],
    [150, 100, 64, 7, true],
    [75, 50, 64, 7, true],
    [37, 25, 64, 7, true],
  ]);
  assert.equal(compressionName(7), 'JPEG');
  assert.equal(compressionName(33005), 'JPEG 2000 (Aperio RGB)');
});

test('corrupt TIFFs fail with one line naming the file', async () => {
  const good = tinyTiff([{ width: 20, height: 10 }, { width: 10, height: 5 }]);
  await assert.rejects(parse(good.slice(0, good.length - 40)), /^TiffFormatError: mem\.tif: corrupt TIFF: IFD data at offset \d+ lies beyond the end of the file \(\d+ bytes\)$/);
  const loop = good.slice();
  const first = new DataView(loop.buffer).getUint32(4, true);
  const count = new DataView(loop.buffer).getUint16(first, true);
  new DataView(loop.buffer).setUint32(first + 2 + count * 12, first, true); // next IFD = itself
  await assert.rejects(parse(loop), /mem\.tif: corrupt TIFF: IFD chain loops back to offset/);
  await assert.rejects(parse(new TextEncoder().encode('not a tiff at all')), /mem\.tif: not a TIFF file/);
  await assert.rejects(parse(Uint8Array.of(0x49, 0x49, 42, 0)), /mem\.tif: not a TIFF file \(only 4 bytes\)/);
});

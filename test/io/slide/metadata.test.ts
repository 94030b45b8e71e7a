/**
 * Lab metadata (scan date, scanner, objective, MPP and its source) for every reader: date
 * parsers, OME-XML, generic TIFF resolution tags, and the real shared slides through the sharp,
 * OpenSlide and DICOM readers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aperioDate, dicomDate, dicomDateTime, miraxDate, omeFields, slideMetadata, tiffDate } from '../../../src/io/slide/metadata.js';
import { isOpenSlideAvailable, openSlide, openSlideUnavailableReason } from '../../../src/io/slide/index.js';
import { sharedOnly, sharedPath } from '../../helpers.js';
import { tinyTiff } from './tiny-tiff.js';

const slide = (name: string) => sharedPath('data', 'slides', name);
const shared = sharedOnly();
const withOpenSlide = (): { skip: string | false } => {
  if (shared.skip) return shared;
  return isOpenSlideAvailable() ? { skip: false } : { skip: `OpenSlide not available (${openSlideUnavailableReason()})` };
};

async function metadataOf(path: string, backend = 'auto') {
  const r = await openSlide(path, { backend });
  try {
    return { reader: r.info.reader, ...r.info.metadata! };
  } finally {
    await r.close();
  }
}

test('date parsers: Aperio, TIFF, MIRAX, DICOM DA/TM and DT, to ISO 8601; nonsense gives null', () => {
  assert.equal(aperioDate('12/29/09', '09:59:15'), '2009-12-29T09:59:15');
  assert.equal(aperioDate('3/7/2015', '14:02:00', 'GMT-04:00'), '2015-03-07T14:02:00-04:00');
  assert.equal(aperioDate('29/12/09'), null);
  assert.equal(tiffDate('2017:02:07 13:06:43'), '2017-02-07T13:06:43');
  assert.equal(tiffDate('2017-02-07'), '2017-02-07');
  assert.equal(tiffDate('yesterday'), null);
  assert.equal(miraxDate('02/01/2020 03:04:05'), '2020-01-02T03:04:05');
  assert.equal(miraxDate('31/12/2019'), '2019-12-31');
  assert.equal(miraxDate('12/31/2019 10:00:00'), null);
  assert.equal(dicomDate('20210107', '093015.123'), '2021-01-07T09:30:15');
  assert.equal(dicomDate('2021-01-07'), '2021-01-07');
  assert.equal(dicomDate('20211341'), null);
  assert.equal(dicomDateTime('20240315101112.5+0100'), '2024-03-15T10:11:12+01:00');
  assert.equal(dicomDateTime('20240315'), '2024-03-15');
});

test('OME-XML instrument and acquisition date; OME-TIFF and generic TIFF resolution MPP sources', () => {
  const xml = '<OME><Instrument ID="I:0"><Microscope Manufacturer="Zeiss" Model="Axio Scan.Z1" SerialNumber="42"/><Objective NominalMagnification="20"/></Instrument>'
    + '<Image ID="Image:0"><AcquisitionDate>2019-05-04T08:09:10</AcquisitionDate><Pixels PhysicalSizeX="0.22" PhysicalSizeY="0.22"/></Image></OME>';
  assert.deepEqual(omeFields(xml), { vendor: 'Zeiss', model: 'Axio Scan.Z1', serial: '42', date: '2019-05-04T08:09:10' });
  const ome = slideMetadata({ format: 'ome-tiff', properties: { 'tiff.ImageDescription': xml }, mpp: { x: 0.22, y: 0.22 }, objectivePower: 20 });
  assert.deepEqual([ome.scanDate, ome.scanDateSource, ome.scannerVendor, ome.scannerModel, ome.scannerSerial, ome.mppSource], ['2019-05-04T08:09:10', 'OME AcquisitionDate', 'Zeiss', 'Axio Scan.Z1', '42', 'OME PhysicalSizeX/Y']);
  const tiff = slideMetadata({ format: 'generic-tiff', properties: { 'tiff.XResolution': '20000', 'tiff.ResolutionUnit': 'centimeter', 'tiff.Make': 'Acme', 'tiff.Model': 'T1', 'tiff.DateTime': '2020:01:02 03:04:05' }, mpp: { x: 0.5, y: 0.5 }, objectivePower: null });
  assert.deepEqual([tiff.scanDate, tiff.scannerVendor, tiff.scannerModel, tiff.mppSource], ['2020-01-02T03:04:05', 'Acme', 'T1', 'tiff.XResolution/YResolution (centimeter)']);
  const none = slideMetadata({ format: 'png', properties: {}, mpp: null, objectivePower: null });
  assert.deepEqual([none.mpp, none.mppSource, none.scanDate, none.scannerVendor], [null, null, null, null]);
});

test('a generated TIFF with resolution tags: the sharp reader reports MPP from XResolution/YResolution', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-meta-'));
  try {
    const path = join(dir, 'res.tif');
    writeFileSync(path, tinyTiff([{ width: 64, height: 48, pixelsPerCm: 40000 }]));
    const m = await metadataOf(path);
    assert.deepEqual(m.mpp, { x: 0.25, y: 0.25 });
    assert.equal(m.mppSource, 'tiff.XResolution/YResolution (centimeter)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shared slides: Aperio fields (sharp), no MPP on the JPEG 2000 SVS and the plain TIFF', shared, async () => {
  const cmu = await metadataOf(slide('cmu-1-small-region.svs'), 'sharp');
  assert.deepEqual(
    [cmu.scanDate, cmu.scanDateSource, cmu.scannerVendor, cmu.scannerSerial, cmu.objectivePower, cmu.mpp, cmu.mppSource],
    ['2009-12-29T09:59:15', 'aperio.Date/Time', 'Aperio', 'CPAPERIOCS', 20, { x: 0.499, y: 0.499 }, 'aperio.MPP'],
  );
  assert.match(cmu.software!, /^Aperio Image Library v11\.2\.1/);
  const kidney = await metadataOf(slide('kidney-48-5.tif'));
  assert.deepEqual([kidney.mpp, kidney.mppSource], [null, null]);
});

test('shared slides through OpenSlide: NDPI scanner, date, objective and MPP; JPEG 2000 SVS without MPP', withOpenSlide(), async () => {
  const ndpi = await metadataOf(slide('fluorescence-dapi.ndpi'));
  assert.equal(ndpi.reader, 'openslide');
  assert.deepEqual(
    [ndpi.scanDate, ndpi.scanDateSource, ndpi.scannerVendor, ndpi.scannerModel, ndpi.scannerSerial, ndpi.software, ndpi.objectivePower, ndpi.mppSource],
    ['2017-02-07T13:06:43', 'tiff.DateTime', 'Hamamatsu', 'C9600-12', '950291', 'NDP.scan 2.5.89', 40, 'tiff.XResolution/YResolution (via OpenSlide)'],
  );
  assert.ok(Math.abs(ndpi.mpp!.x - 0.2282) < 1e-3);
  const cmu = await metadataOf(slide('cmu-1-small-region.svs'), 'openslide');
  assert.deepEqual([cmu.scanDate, cmu.scannerVendor, cmu.mppSource], ['2009-12-29T09:59:15', 'Aperio', 'aperio.MPP (via OpenSlide)']);
  const jp2k = await metadataOf(slide('tcga-cr-7395-01a-01-ts1.svs'));
  assert.deepEqual([jp2k.mpp, jp2k.mppSource, jp2k.objectivePower, jp2k.scannerVendor], [null, null, null, 'Aperio']);
});

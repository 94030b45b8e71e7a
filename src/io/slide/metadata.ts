/**
 * The metadata a lab relies on (scan date, scanner vendor / model / serial, objective, MPP and
 * where it came from), derived the same way for every reader from the flat properties each one
 * already exposes: Aperio ImageDescription fields, OpenSlide's vendor properties (NDPI, MIRAX,
 * ...), OME-XML, DICOM attributes, generic TIFF tags. Pure functions: no I/O.
 */

export interface SlideMetadata {
  /** ISO 8601 (local time as recorded, with the zone when the file gives one), or null. */
  readonly scanDate: string | null;
  /** Which property the date was read from ('aperio.Date', 'tiff.DateTime', ...). */
  readonly scanDateSource: string | null;
  readonly scannerVendor: string | null;
  readonly scannerModel: string | null;
  /** Instrument serial number or identifier. */
  readonly scannerSerial: string | null;
  readonly software: string | null;
  readonly objectivePower: number | null;
  readonly mpp: { readonly x: number; readonly y: number } | null;
  /** Where the MPP came from, or null when the file records none. */
  readonly mppSource: string | null;
  /** Size of the embedded ICC colour profile in bytes (not applied: scores use raw pixels). */
  readonly iccProfileBytes: number | null;
}

type Props = Readonly<Record<string, string>>;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

type Time = [h: number, m: number, s: number] | [];

function isoDate(y: number, mo: number, d: number, time: Time = [], zone?: string): string | null {
  if (!(y >= 1900 && y <= 2200 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31)) return null;
  const date = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
  if (time.length === 0) return date;
  const [h, mi, s] = time;
  if (!(h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 61)) return date;
  return `${date}T${pad(h)}:${pad(mi)}:${pad(Math.floor(s))}${zone ?? ''}`;
}

/** 'HH:MM:SS' or 'HHMMSS(.ffffff)' to [h, m, s]. */
function timeParts(t: string | undefined): Time {
  if (!t) return [];
  const m = /^(\d{2}):?(\d{2})(?::?(\d{2}(?:\.\d+)?))?/.exec(t.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [];
}

/** Aperio 'MM/DD/YY' (+ 'HH:MM:SS', 'GMT-04:00'). Two-digit years are 20YY (Aperio dates from 2000 on). */
export function aperioDate(date: string, time?: string, zone?: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/.exec(date.trim());
  if (!m) return null;
  const year = m[3]!.length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
  const z = /^(?:GMT|UTC)?([+-]\d{2}):?(\d{2})$/.exec((zone ?? '').trim());
  return isoDate(year, Number(m[1]), Number(m[2]), timeParts(time), z ? `${z[1]}:${z[2]}` : undefined);
}

/** TIFF DateTime 'YYYY:MM:DD HH:MM:SS'. */
export function tiffDate(v: string): string | null {
  const m = /^(\d{4})[:\-/](\d{2})[:\-/](\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?/.exec(v.trim());
  if (!m) return null;
  return m[4] === undefined ? isoDate(+m[1]!, +m[2]!, +m[3]!) : isoDate(+m[1]!, +m[2]!, +m[3]!, [+m[4]!, +m[5]!, +m[6]!]);
}

/** DICOM DA 'YYYYMMDD' (also the common 'YYYY-MM-DD' / 'YYYY.MM.DD') with an optional TM. */
export function dicomDate(date: string, time?: string): string | null {
  const m = /^(\d{4})[-.]?(\d{2})[-.]?(\d{2})$/.exec(date.trim());
  return m ? isoDate(+m[1]!, +m[2]!, +m[3]!, timeParts(time)) : null;
}

/** DICOM DT 'YYYYMMDDHHMMSS.FFFFFF&ZZXX'. */
export function dicomDateTime(v: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})?(\d{2}(?:\.\d+)?)?)?([+-]\d{4})?$/.exec(v.trim());
  if (!m) return null;
  const zone = m[7] ? `${m[7].slice(0, 3)}:${m[7].slice(3)}` : undefined;
  return m[4] === undefined ? isoDate(+m[1]!, +m[2]!, +m[3]!) : isoDate(+m[1]!, +m[2]!, +m[3]!, [+m[4]!, +(m[5] ?? 0), +(m[6] ?? 0)], zone);
}

/**
 * MIRAX SLIDE_CREATIONDATETIME, 'DD/MM/YYYY hh:mm:ss', day first: public tools reading real
 * slides' properties parse it as '%d/%m/%Y %H:%M:%S' (no real MIRAX slide here to confirm).
 */
export function miraxDate(v: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2}):(\d{2}))?$/.exec(v.trim());
  if (!m) return null;
  return m[4] === undefined ? isoDate(+m[3]!, +m[2]!, +m[1]!) : isoDate(+m[3]!, +m[2]!, +m[1]!, [+m[4]!, +m[5]!, +m[6]!]);
}

function first(p: Props, ...keys: string[]): [string, string] | null {
  for (const k of keys) {
    const v = p[k]?.trim();
    if (v) return [k, v];
  }
  return null;
}

function xmlAttr(tag: string, name: string): string | null {
  const m = new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`).exec(tag);
  return m ? m[1]! : null;
}

/** Instrument and acquisition fields of OME-XML (first Microscope, first AcquisitionDate). */
export function omeFields(xml: string): { vendor: string | null; model: string | null; serial: string | null; date: string | null } {
  const mic = /<(?:\w+:)?Microscope\s[^>]*>/.exec(xml)?.[0] ?? '';
  const date = /<(?:\w+:)?AcquisitionDate>\s*([^<]+?)\s*</.exec(xml)?.[1] ?? null;
  return { vendor: xmlAttr(mic, 'Manufacturer'), model: xmlAttr(mic, 'Model'), serial: xmlAttr(mic, 'SerialNumber'), date };
}

interface Device {
  scanDate: string | null;
  scanDateSource: string | null;
  scannerVendor: string | null;
  scannerModel: string | null;
  scannerSerial: string | null;
  software: string | null;
}

function aperioDevice(p: Props): Device {
  const date = p['aperio.Date'] ? aperioDate(p['aperio.Date'], p['aperio.Time'], p['aperio.Time Zone']) : null;
  return {
    scanDate: date,
    scanDateSource: date ? 'aperio.Date/Time' : null,
    // Aperio is Leica's brand; ImageDescription names the scanner type only on newer models (GT450).
    scannerVendor: 'Aperio',
    scannerModel: first(p, 'aperio.ScannerType', 'aperio.Scanner Type')?.[1] ?? null,
    scannerSerial: first(p, 'aperio.ScanScope ID')?.[1] ?? null,
    software: (p['tiff.ImageDescription'] ?? p['openslide.comment'] ?? '').split(/\r?\n/)[0]?.trim() || null,
  };
}

function dicomDevice(p: Props): Device {
  let scanDate: string | null = null;
  let scanDateSource: string | null = null;
  const tries: Array<[string, () => string | null]> = [
    ['dicom.AcquisitionDateTime', () => (p['dicom.AcquisitionDateTime'] ? dicomDateTime(p['dicom.AcquisitionDateTime']) : null)],
    ['dicom.AcquisitionDate', () => (p['dicom.AcquisitionDate'] ? dicomDate(p['dicom.AcquisitionDate'], p['dicom.AcquisitionTime']) : null)],
    ['dicom.ContentDate', () => (p['dicom.ContentDate'] ? dicomDate(p['dicom.ContentDate'], p['dicom.ContentTime']) : null)],
    ['dicom.StudyDate', () => (p['dicom.StudyDate'] ? dicomDate(p['dicom.StudyDate'], p['dicom.StudyTime']) : null)],
  ];
  for (const [source, get] of tries) {
    scanDate = get();
    if (scanDate) {
      scanDateSource = source;
      break;
    }
  }
  return {
    scanDate,
    scanDateSource,
    scannerVendor: first(p, 'dicom.Manufacturer')?.[1] ?? null,
    scannerModel: first(p, 'dicom.ManufacturerModelName')?.[1] ?? null,
    scannerSerial: first(p, 'dicom.DeviceSerialNumber')?.[1] ?? null,
    software: first(p, 'dicom.SoftwareVersions')?.[1] ?? null,
  };
}

/** TIFF tags, OME-XML and OpenSlide vendor properties (NDPI, Leica, Philips, Ventana, MIRAX). */
function tiffDevice(format: string, p: Props): Device {
  const ome = format === 'ome-tiff' ? omeFields(p['tiff.ImageDescription'] ?? '') : null;
  const omeDate = ome?.date ? tiffDate(ome.date) : null;
  const tiffDateValue = p['tiff.DateTime'] ? tiffDate(p['tiff.DateTime']) : null;
  const vendorDate = first(p, 'philips.DICOM_ACQUISITION_DATETIME', 'leica.creation-date', 'mirax.GENERAL.SLIDE_CREATIONDATETIME');
  const vendorDateValue = vendorDate ? dicomDateTime(vendorDate[1]) ?? tiffDate(vendorDate[1]) ?? miraxDate(vendorDate[1]) : null;
  const [scanDate, scanDateSource] = omeDate ? [omeDate, 'OME AcquisitionDate']
    : tiffDateValue ? [tiffDateValue, 'tiff.DateTime']
      : vendorDateValue ? [vendorDateValue, vendorDate![0]] : [null, null];
  return {
    scanDate,
    scanDateSource,
    scannerVendor: ome?.vendor ?? first(p, 'tiff.Make', 'philips.DICOM_MANUFACTURER', 'leica.device-vendor')?.[1] ?? vendorName(p['openslide.vendor']),
    scannerModel: ome?.model ?? first(p, 'tiff.Model', 'hamamatsu.Product', 'philips.DICOM_MANUFACTURERS_MODEL_NAME', 'leica.device-model', 'ventana.ScannerModel')?.[1] ?? null,
    scannerSerial: ome?.serial ?? first(p, 'hamamatsu.NDP.S/N', 'philips.DICOM_DEVICE_SERIAL_NUMBER', 'leica.device-serial', 'ventana.ScannerSerial', 'mirax.NONHIERLAYER_0_SECTION.SCANNER_HARDWARE_ID')?.[1] ?? null,
    software: first(p, 'tiff.Software', 'philips.DICOM_SOFTWARE_VERSIONS')?.[1] ?? null,
  };
}

const VENDOR_NAMES: Record<string, string> = {
  hamamatsu: 'Hamamatsu', leica: 'Leica', mirax: '3DHISTECH', philips: 'Philips', sakura: 'Sakura', ventana: 'Ventana', trestle: 'Trestle',
};

function vendorName(v: string | undefined): string | null {
  return v ? VENDOR_NAMES[v] ?? null : null;
}

/** Where the reader's MPP came from, when it did not say itself. */
function mppSourceOf(format: string, p: Props): string | null {
  if (p['dicom.mpp-source']) return p['dicom.mpp-source'];
  if (p['openslide.mpp-x']) {
    return format === 'aperio-svs' ? 'aperio.MPP (via OpenSlide)' : format === 'ndpi' || format === 'generic-tiff' ? 'tiff.XResolution/YResolution (via OpenSlide)' : `openslide.mpp-x/y (${p['openslide.vendor'] ?? format})`;
  }
  if (format === 'aperio-svs' && p['aperio.MPP']) return 'aperio.MPP';
  if (format === 'ome-tiff' && /PhysicalSizeX\s*=/.test(p['tiff.ImageDescription'] ?? '')) return 'OME PhysicalSizeX/Y';
  if (p['tiff.XResolution']) return `tiff.XResolution/YResolution (${p['tiff.ResolutionUnit'] ?? 'inch'})`;
  return 'image density (PNG pHYs / JPEG JFIF)';
}

export interface MetadataInput {
  readonly format: string;
  readonly properties: Props;
  readonly mpp: { readonly x: number; readonly y: number } | null;
  readonly objectivePower: number | null;
}

/** Lab metadata of a slide from what its reader recorded. */
export function slideMetadata(info: MetadataInput): SlideMetadata {
  const p = info.properties;
  const device = info.format === 'dicom' ? dicomDevice(p)
    : info.format === 'aperio-svs' ? aperioDevice(p)
      : tiffDevice(info.format, p);
  const icc = /^(\d+) bytes$/.exec(p['dicom.ICCProfile'] ?? '')?.[1];
  return {
    ...device,
    objectivePower: info.objectivePower,
    mpp: info.mpp,
    mppSource: info.mpp ? mppSourceOf(info.format, p) : null,
    iccProfileBytes: icc ? Number(icc) : null,
  };
}

//! Names of people and organizations, varied enough that ordering by name means
//! something: given names and family names of many languages, with accents and letters
//! outside ASCII (`Çınarel`, `Øyvind`), some compound family names; hub handles made
//! from them the way people make theirs, unique ignoring case.

use std::collections::HashSet;

use crate::Rng;

const GIVEN: &[&str] = &[
    "María",
    "José",
    "Lucía",
    "Mateo",
    "Sofía",
    "Diego",
    "Valentina",
    "Santiago",
    "Camila",
    "Alejandro",
    "Isabella",
    "Martín",
    "Ximena",
    "Joaquín",
    "Renata",
    "Andrés",
    "Inés",
    "Tomás",
    "Elena",
    "Pablo",
    "Manuel",
    "Carmen",
    "Omar",
    "Merve",
    "Ceyda",
    "Emre",
    "Zeynep",
    "Elif",
    "Burak",
    "Ayşe",
    "Mehmet",
    "Selin",
    "Aritra",
    "Vaibhav",
    "Priya",
    "Ananya",
    "Rohan",
    "Kavya",
    "Arjun",
    "Divya",
    "Sanjay",
    "Meera",
    "Bram",
    "Lotte",
    "Sander",
    "Femke",
    "Christopher",
    "Hannah",
    "Lukas",
    "Lena",
    "Jonas",
    "Mia",
    "Felix",
    "Clara",
    "Niklas",
    "Amélie",
    "Léa",
    "Hugo",
    "Chloé",
    "Théo",
    "Manon",
    "Élodie",
    "Julien",
    "Margaux",
    "Giulia",
    "Lorenzo",
    "Chiara",
    "Matteo",
    "Francesca",
    "Alessandro",
    "Aurora",
    "Øyvind",
    "Ingrid",
    "Sigrid",
    "Håkon",
    "Astrid",
    "Björn",
    "Linnéa",
    "Mikael",
    "Aino",
    "Eero",
    "Wei",
    "Xiaoming",
    "Mei",
    "Hao",
    "Yuki",
    "Haruto",
    "Sakura",
    "Ren",
    "Minji",
    "Jisoo",
    "Seo-yeon",
    "Hyun",
    "Thanh",
    "Linh",
    "Nguyen",
    "Amara",
    "Chidi",
    "Ngozi",
    "Kwame",
    "Ama",
    "Tendai",
    "Zanele",
    "Thabo",
    "Fatima",
    "Youssef",
    "Leila",
    "Karim",
    "Nour",
    "Amir",
    "Dalia",
    "Sara",
    "David",
    "Noa",
    "Yael",
    "Ethan",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "James",
    "Grace",
    "Daniel",
    "Chloe",
    "Samuel",
    "Zoe",
    "Oluwaseun",
    "Adaeze",
    "Ibrahim",
    "Aisha",
    "Dmitri",
    "Olga",
    "Katarzyna",
    "Piotr",
    "Łukasz",
    "Agnieszka",
    "Jiří",
    "Tereza",
    "Ondřej",
    "Zoltán",
    "Réka",
    "Ioana",
    "Andrei",
    "Nikos",
    "Eleni",
    "João",
    "Beatriz",
    "Gonçalo",
    "Inês",
    "Raphaël",
    "Siobhán",
    "Seán",
    "Aoife",
];

const FAMILY: &[&str] = &[
    "Grandury",
    "Romero",
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Díaz",
    "Muñoz",
    "Álvarez",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Moreno",
    "Castillo",
    "Espejel",
    "Noyan",
    "Çınarel",
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Öztürk",
    "Aydın",
    "Gosthipathy",
    "Srivastav",
    "Sharma",
    "Iyer",
    "Patel",
    "Reddy",
    "Nair",
    "Banerjee",
    "Chatterjee",
    "Vanroy",
    "De Vries",
    "Janssen",
    "Van den Berg",
    "Bakker",
    "Akiki",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Laurent",
    "Girard",
    "Bonnet",
    "Rousseau",
    "Mercier",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Hansen",
    "Johansen",
    "Nilsen",
    "Østergaard",
    "Lindqvist",
    "Söderberg",
    "Andersson",
    "Virtanen",
    "Mäkinen",
    "Korhonen",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Sato",
    "Suzuki",
    "Takahashi",
    "Tanaka",
    "Watanabe",
    "Kim",
    "Lee",
    "Park",
    "Choi",
    "Jung",
    "Tran",
    "Le",
    "Pham",
    "Okafor",
    "Adeyemi",
    "Mensah",
    "Owusu",
    "Moyo",
    "Dlamini",
    "Ndlovu",
    "Haddad",
    "Khoury",
    "Mansour",
    "Benali",
    "El Amrani",
    "Cohen",
    "Levi",
    "Mizrahi",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Taylor",
    "Thomas",
    "Moore",
    "O'Brien",
    "O'Connor",
    "Murphy",
    "Kelly",
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Wójcik",
    "Novák",
    "Dvořák",
    "Horváth",
    "Nagy",
    "Popescu",
    "Ionescu",
    "Papadopoulos",
    "Georgiou",
    "Silva",
    "Santos",
    "Oliveira",
    "Costa",
    "Pereira",
    "Ivanov",
    "Petrov",
    "Sokolova",
    "Debut",
    "Mendoza",
    "Vargas",
    "Castro",
    "Ortega",
    "Delgado",
    "Navarro",
    "Ramos",
    "Herrera",
    "Medina",
    "Aguilar",
    "Vega",
    "Cruz",
];

/// ASCII letters for the accented and non-Latin-1 letters above, as people spell their
/// handles (`Çınarel` → `cinarel`).
fn ascii_letter(c: char) -> Option<char> {
    let plain = match c {
        'á' | 'à' | 'â' | 'ä' | 'å' | 'ã' | 'Á' | 'Å' | 'Ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'ı' | 'Í' | 'İ' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'ø' | 'õ' | 'Ó' | 'Ö' | 'Ø' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ü' => 'u',
        'ñ' | 'Ñ' | 'ń' => 'n',
        'ç' | 'Ç' | 'č' | 'ć' => 'c',
        'ş' | 'Ş' | 'ś' | 'š' => 's',
        'ğ' => 'g',
        'ł' | 'Ł' => 'l',
        'ř' => 'r',
        'ě' => 'e',
        'ý' => 'y',
        'ž' | 'ź' | 'ż' => 'z',
        c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
        _ => return None,
    };
    Some(plain)
}

fn ascii(text: &str) -> String {
    text.chars().filter_map(ascii_letter).collect()
}

/// A person's name: given and family name, sometimes two given names or two family
/// names.
pub fn person_name(rng: &mut Rng) -> String {
    let given = *rng.pick(GIVEN);
    let family = *rng.pick(FAMILY);
    if rng.chance(0.12) {
        let second = *rng.pick(FAMILY);
        if second != family {
            return format!("{given} {family} {second}");
        }
    }
    if rng.chance(0.08) {
        let middle = *rng.pick(GIVEN);
        if middle != given {
            return format!("{given} {middle} {family}");
        }
    }
    format!("{given} {family}")
}

/// Handles handed out so far, folded (they are unique ignoring case).
#[derive(Default)]
pub struct Handles {
    taken: HashSet<String>,
}

impl Handles {
    /// Reserves a handle that is known to be free (`merve`).
    pub fn reserve(&mut self, handle: &str) {
        self.taken.insert(handle.to_ascii_lowercase());
    }

    /// A free hub handle for someone called `name`, in one of the usual shapes.
    pub fn for_name(&mut self, rng: &mut Rng, name: &str) -> String {
        let words: Vec<String> = name.split_whitespace().map(ascii).collect();
        let given = words.first().cloned().unwrap_or_default();
        let family = words.last().cloned().unwrap_or_default();
        let initial = &given[..given.len().min(1)];
        let base = match rng.below(7) {
            0 => format!("{given}{family}"),
            1 => format!("{initial}{family}"),
            2 => format!("{given}-{family}"),
            3 => format!("{given}_{family}"),
            4 => format!("{given}{}", rng.between(1, 9999)),
            5 => format!("{family}{given}"),
            _ => format!("{given}.{family}"),
        };
        // Some people write their handle with capitals (`BramVanroy`, `ariG23498`).
        let base = if rng.chance(0.15) {
            capitalise_words(&base)
        } else {
            base
        };
        let base: String = base.chars().take(30).collect();
        let mut candidate = base.clone();
        let mut n = 1;
        while candidate.is_empty() || !self.taken.insert(candidate.to_ascii_lowercase()) {
            n += 1;
            candidate = format!("{base}{n}");
        }
        candidate
    }
}

fn capitalise_words(handle: &str) -> String {
    let mut out = String::with_capacity(handle.len());
    let mut start = true;
    for c in handle.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = matches!(c, '-' | '_' | '.');
    }
    out
}

/// A slug from a name: lower-case ASCII words joined by hyphens.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for word in name.split(|c: char| c.is_whitespace() || c == '-') {
        let word = ascii(word);
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word);
    }
    out
}

const ORG_STEMS: &[&str] = &[
    "Aurora", "Nimbus", "Helix", "Quanta", "Vector", "Lumen", "Cobalt", "Orbit", "Kestrel",
    "Juniper", "Atlas", "Borealis", "Cinder", "Delta", "Ember", "Fathom", "Granite", "Harbor",
    "Iris", "Jade", "Koru", "Lattice", "Meridian", "Nova", "Onyx", "Prism", "Quill", "Raven",
    "Sierra", "Tundra", "Umbra", "Vertex", "Willow", "Xylem", "Yarrow", "Zephyr", "Alpine",
    "Basalt", "Cedar", "Dune", "Echo", "Fjord", "Glacier", "Horizon", "Indigo", "Kite", "Lynx",
    "Mosaic", "Nebula", "Oasis", "Pioneer", "Ridge", "Summit", "Tide", "Vantage",
];

const ORG_COMPANY_SUFFIXES: &[&str] = &[
    "Labs",
    "AI",
    "Systems",
    "Analytics",
    "Robotics",
    "Software",
    "Technologies",
    "Data",
    "Cloud",
    "Networks",
    "Dynamics",
    "Intelligence",
    "Computing",
    "Research",
    "Studio",
];

const ORG_ACADEMIC: &[&str] = &[
    "University of",
    "Institute of Technology of",
    "Polytechnic of",
    "School of Computing of",
];

const PLACES: &[&str] = &[
    "Madrid",
    "Bogotá",
    "Lima",
    "Istanbul",
    "Ankara",
    "Bengaluru",
    "Pune",
    "Leuven",
    "Ghent",
    "Berlin",
    "Munich",
    "Lyon",
    "Toulouse",
    "Bologna",
    "Turin",
    "Oslo",
    "Uppsala",
    "Tampere",
    "Shenzhen",
    "Kyoto",
    "Busan",
    "Hanoi",
    "Lagos",
    "Accra",
    "Nairobi",
    "Cape Town",
    "Casablanca",
    "Haifa",
    "Dublin",
    "Kraków",
    "Brno",
    "Szeged",
    "Cluj",
    "Thessaloniki",
    "Porto",
    "Montréal",
    "Valparaíso",
    "Guadalajara",
    "Medellín",
    "Córdoba",
];

const ORG_NONPROFIT_SUFFIXES: &[&str] = &[
    "Collective",
    "Society",
    "Alliance",
    "Initiative",
    "Commons",
    "Network",
    "Trust",
];

const FOUNDATION_SUBJECTS: &[&str] = &[
    "Open Source Security",
    "Cloud Native Computing",
    "Open Data",
    "Python Software",
    "Rust",
    "Open Robotics",
    "Machine Learning Commons",
    "Open Speech",
    "Free Software",
    "Open Hardware",
    "Web Standards",
    "Open Infrastructure",
    "Responsible AI",
    "Linked Data",
    "Scientific Python",
    "Open Geospatial",
    "Compiler Infrastructure",
    "JavaScript",
    "Open Mobility",
    "Open Health",
    "Digital Public Goods",
    "Open Climate",
    "Accessibility",
    "Privacy Engineering",
    "Distributed Systems",
    "Open Education",
    "Kernel Development",
    "Open Firmware",
    "Data Science",
    "Open Translation",
];

/// The name of the `i`-th foundation (the first two are the demo's).
pub fn foundation_name(i: usize) -> String {
    match i {
        0 => "Linux Foundation".to_owned(),
        1 => "PyTorch Foundation".to_owned(),
        _ => {
            let subject = FOUNDATION_SUBJECTS[(i - 2) % FOUNDATION_SUBJECTS.len()];
            let round = (i - 2) / FOUNDATION_SUBJECTS.len();
            if round == 0 {
                format!("{subject} Foundation")
            } else {
                format!("{subject} Foundation {}", round + 1)
            }
        }
    }
}

/// A company, university, nonprofit or agency name and its kind's index in
/// `[COMPANY, NONPROFIT, ACADEMIC, GOVERNMENT, OTHER]`.
pub fn organization_name(rng: &mut Rng) -> (String, usize) {
    let kind = rng.weighted(&[62, 12, 14, 5, 7]);
    let name = match kind {
        0 => format!("{} {}", rng.pick(ORG_STEMS), rng.pick(ORG_COMPANY_SUFFIXES)),
        1 => format!(
            "{} {}",
            rng.pick(ORG_STEMS),
            rng.pick(ORG_NONPROFIT_SUFFIXES)
        ),
        2 => format!("{} {}", rng.pick(ORG_ACADEMIC), rng.pick(PLACES)),
        3 => format!("Digital Agency of {}", rng.pick(PLACES)),
        _ => format!("{} {} Group", rng.pick(ORG_STEMS), rng.pick(PLACES)),
    };
    (name, kind)
}
